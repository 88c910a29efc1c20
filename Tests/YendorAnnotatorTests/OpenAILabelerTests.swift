import Foundation
import Synchronization
import Testing
@testable import YendorAnnotator

/// These tests run the real HTTP client against the Python stand-in server
/// (Fixtures/openai_stub.py), one server per test.
@Suite struct OpenAILabelerTests {
    func configuration(_ server: StubServer, _ adjust: (inout OpenAILabeler.Configuration) -> Void = { _ in }) -> OpenAILabeler.Configuration {
        var configuration = OpenAILabeler.Configuration(baseURL: server.baseURL, model: "stub-model")
        configuration.requestTimeout = .seconds(10)
        configuration.backoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(50), jitter: 0.2)
        adjust(&configuration)
        return configuration
    }

    @Test func completionsEndpointSendsSeveralPromptsPerRequest() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.endpoint = .completions
            $0.promptsPerRequest = 4
        }, logger: testLogger)
        let requests = captions(9) + [.rank("You miss.", "You kill the newt!", goal: .combat)]
        let answers = await labeler.label(requests)
        #expect(answers.map(\.outcome) == Array(repeating: .labeled(.helpful), count: 9) + [.labeled(.first)])
        let stats = try await server.stats()
        #expect(stats.calls == 3)
        #expect(stats.prompt_counts.sorted() == [2, 4, 4])
    }

    @Test func chatRequestsNeverExceedTheConcurrencyLimit() async throws {
        let server = try StubServer(script: Array(repeating: ["delay": 0.15], count: 8))
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) { $0.maxConcurrentRequests = 2 }, logger: testLogger)
        // Two concurrent callers share the one limit.
        async let first = labeler.label(captions(4))
        async let second = labeler.label(captions(4, prefix: "You hit the newt"))
        let answers = await first + second
        #expect(answers.allSatisfy { $0.outcome == .labeled(.helpful) })
        let stats = try await server.stats()
        #expect(stats.calls == 8)
        #expect(stats.max_active <= 2)
    }

    @Test func slowServerTimesOutThenSucceeds() async throws {
        let server = try StubServer(script: [["delay": 4.0]])
        defer { server.stop() }
        // A timeout of 1 s (not less) and 8 retries: under a parallel test load the stub's quick
        // answers have taken over 0.5 s, so every retry timed out.
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.requestTimeout = .seconds(1)
            $0.maxRetries = 8
        }, logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        // On a loaded machine a retry may time out too; what matters is timeouts, then success.
        let statistics = labeler.statistics
        #expect(statistics.retries >= 1)
        #expect(statistics.failedAttempts == [.timeout: statistics.retries])
        // The server saw the slow call and the answered one; a retry that timed out under load
        // may not have reached it.
        let calls = try await server.stats().calls
        #expect(calls >= 2 && calls <= statistics.retries + 1)
    }

    @Test func timeoutsAfterEveryRetryAreReportedAsTimeout() async throws {
        let server = try StubServer(script: [["delay": 3.0], ["delay": 3.0]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.requestTimeout = .milliseconds(200)
            $0.maxRetries = 1
        }, logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.timeout)])
    }

    @Test func serverErrorsAreRetried() async throws {
        let server = try StubServer(script: [["status": 500], ["status": 503]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(labeler.statistics.retries == 2)
        #expect(try await server.stats().calls == 3)
    }

    @Test func rateLimitIsRetriedAfterTheServersRetryAfter() async throws {
        let server = try StubServer(script: [["status": 429, "retry_after": 7]])
        defer { server.stop() }
        let slept = Mutex<[Duration]>([])
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger,
                                        sleep: { duration in slept.withLock { $0.append(duration) } })
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(slept.withLock { $0 } == [.seconds(7)])
    }

    @Test func rejectedRequestsAreNotRetried() async throws {
        let server = try StubServer(script: [["status": 404]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.rejected)])
        #expect(try await server.stats().calls == 1)
    }

    @Test func malformedJSONIsAnItemError() async throws {
        let server = try StubServer(script: [["body": "{\"choices\": [oops"]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.malformedResponse)])
        #expect(answers.first?.rawResponse == "{\"choices\": [oops")
    }

    @Test func answerWithoutALabelIsANoLabelErrorNeverAGuess() async throws {
        let server = try StubServer(script: [["content": "The jackal is probably relevant."]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.noLabel)])
        #expect(answers.first?.rawResponse == "The jackal is probably relevant.")
    }

    @Test func apiKeyComesFromTheNamedEnvironmentVariable() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) { $0.apiKeyEnvironmentVariable = "YENDOR_TEST_KEY" },
                                        logger: testLogger, environment: ["YENDOR_TEST_KEY": "sk-test"])
        _ = await labeler.label(captions(1))
        #expect(try await server.stats().authorization == "Bearer sk-test")
        #expect(throws: AnnotatorError.invalidConfiguration(field: "apiKeyEnvironmentVariable", reason: "environment variable YENDOR_TEST_KEY is not set")) {
            try OpenAILabeler(configuration: configuration(server) { $0.apiKeyEnvironmentVariable = "YENDOR_TEST_KEY" },
                              logger: testLogger, environment: [:])
        }
    }

    @Test func circuitBreakerOpensWhileTheServerIsDownAndClosesAfterAProbe() async throws {
        let server = try StubServer()
        defer { server.stop() }
        try await server.setDown(true)
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.maxRetries = 8
            $0.circuitBreaker = CircuitBreaker.Configuration(failureThreshold: 2, cooldown: .milliseconds(500))
        }, logger: testLogger)
        let call = Task { await labeler.label(captions(1)) }
        // Wait (bounded) until two failures have opened the breaker.
        for _ in 0..<500 where await labeler.breaker.openings == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await labeler.breaker.openings == 1)
        let callsWhileOpen = try await server.stats().calls
        try await server.setDown(false)
        let answers = await call.value
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(await labeler.breaker.state == .closed)
        #expect(await labeler.breaker.closings == 1)
        // While open, calls waited for the cooldown instead of using up the retries (without
        // the breaker, 9 attempts 5 ms apart would all have reached the server by now). At
        // most one probe may have slipped in on a slow machine.
        #expect(callsWhileOpen == 2 || callsWhileOpen == 3)
        #expect(labeler.statistics.retries < 8)
    }

    @Test func invalidConfigurationNamesTheField() throws {
        var configuration = OpenAILabeler.Configuration(baseURL: URL(string: "ftp://x")!, model: "m")
        #expect(throws: AnnotatorError.invalidConfiguration(field: "baseURL", reason: "must be an http(s) URL with a host, got 'ftp://x'")) {
            try configuration.validate()
        }
        configuration.baseURL = URL(string: "http://127.0.0.1:1/v1")!
        configuration.maxConcurrentRequests = 0
        #expect(throws: AnnotatorError.invalidConfiguration(field: "maxConcurrentRequests", reason: "must be >= 1, got 0")) {
            try configuration.validate()
        }
    }

    @Test func annotatorOverTheHTTPBackendStoresAndPublishesLabels() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) { $0.endpoint = .completions }, logger: testLogger)
        let (store, _) = try temporaryStore()
        let annotator = try Annotator(labeler: labeler, store: store, configuration: .init(), logger: testLogger)
        _ = await annotator.submit(captions(6))
        await annotator.waitUntilIdle()
        #expect(try store.count() == 6)
        let receipt = await annotator.submit(captions(6))
        #expect(receipt.known.count == 6)
        #expect(try await server.stats().calls == 1)
    }
}
