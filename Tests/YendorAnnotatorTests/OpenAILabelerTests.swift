import Foundation
import Synchronization
import Testing
import YendorTestSupport
import YendorMetrics
@testable import YendorAnnotator

/// These tests run the real HTTP client against the Python stand-in server
/// (Fixtures/openai_stub.py), one server per test.
@Suite struct OpenAILabelerTests {
    func configuration(_ server: StubServer, _ adjust: (inout OpenAILabeler.Configuration) -> Void = { _ in }) -> OpenAILabeler.Configuration {
        var configuration = OpenAILabeler.Configuration(baseURL: server.baseURL, model: "stub-model")
        configuration.connectTimeout = .seconds(5)
        configuration.requestTimeout = .seconds(10)
        configuration.backoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(50), jitter: 0.2)
        adjust(&configuration)
        return configuration
    }

    /// A stub whose first calls each answer after `delays` seconds (later ones at once), and a
    /// labeler that gives up on a request after `requestTimeout` and retries `maxRetries` times.
    /// Stop the server at the end of the test.
    func slowServerAndLabeler(delays: [Double], requestTimeout: Duration, maxRetries: Int) async throws -> (StubServer, OpenAILabeler) {
        let server = try await StubServer.started(script: delays.map { ["delay": $0] })
        do {
            let labeler = try OpenAILabeler(configuration: configuration(server) {
                $0.requestTimeout = requestTimeout
                $0.maxRetries = maxRetries
            }, logger: testLogger)
            return (server, labeler)
        } catch {
            server.stop()
            throw error
        }
    }

    @Test func completionsEndpointSendsSeveralPromptsPerRequest() async throws {
        let server = try await StubServer.started()
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
        let server = try await StubServer.started(script: Array(repeating: ["delay": 0.15], count: 8))
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
        // A timeout of 1 s (not less) and 8 retries: under a parallel test load the stub's quick
        // answers have taken over 0.5 s, so every retry timed out.
        let (server, labeler) = try await slowServerAndLabeler(delays: [4.0], requestTimeout: .seconds(1), maxRetries: 8)
        defer { server.stop() }
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        // On a loaded machine a retry may time out too; what matters is timeouts, then success.
        #expect(labeler.count("retries") >= 1)
        #expect(labeler.failures == [.timeout: labeler.count("retries")])
        // The server saw the slow call and the answered one; a retry that timed out under load
        // may not have reached it.
        let calls = try await server.stats().calls
        #expect(calls >= 2 && calls <= labeler.count("retries") + 1)
    }

    @Test func timeoutsAfterEveryRetryAreReportedAsTimeout() async throws {
        let (server, labeler) = try await slowServerAndLabeler(delays: [3.0, 3.0], requestTimeout: .milliseconds(200), maxRetries: 1)
        defer { server.stop() }
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.timeout)])
    }

    @Test func serverErrorsAreRetried() async throws {
        let server = try await StubServer.started(script: [["status": 500], ["status": 503]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(labeler.count("retries") == 2)
        #expect(try await server.stats().calls == 3)
    }

    @Test func rateLimitIsRetriedAfterTheServersRetryAfter() async throws {
        let server = try await StubServer.started(script: [["status": 429, "retry_after": 7]])
        defer { server.stop() }
        let slept = Mutex<[Duration]>([])
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger,
                                        sleep: { duration in slept.withLock { $0.append(duration) } })
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(slept.withLock { $0 } == [.seconds(7)])
    }

    @Test func rejectedRequestsAreNotRetried() async throws {
        let server = try await StubServer.started(script: [["status": 404]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.rejected)])
        #expect(try await server.stats().calls == 1)
        #expect(labeler.count("failed_attempts/rejected") == 1, "a refused attempt is a failed attempt at the LLM")
    }

    /// A server that refuses every request (a wrong model name: HTTP 400) opens the breaker like a
    /// dead one, so the labeler asks once per cooldown instead of sending every caption there.
    @Test func refusalsInARowOpenTheBreaker() async throws {
        let server = try await StubServer.started(script: [["status": 400], ["status": 400]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.circuitBreaker = CircuitBreaker.Configuration(failureThreshold: 2, cooldown: .seconds(600))
        }, logger: testLogger)
        for _ in 0..<2 { #expect(await labeler.label(captions(1)).map(\.outcome) == [.failed(.rejected)]) }
        #expect(await labeler.breaker.openings == 1)
        #expect(await labeler.breaker.state == .open)
        #expect(labeler.metrics["annotator/llm/failing"] == 1, "the gauge to alert on, and what `yendor status` says")
        #expect(try await server.stats().calls == 2)
    }

    /// The annotator's status line shows failed attempts at the LLM as they happen: items are given
    /// up only after every retry, so "errors" stayed 0 while a server answered 500 for minutes.
    @Test func theStatusLineCountsFailedAttemptsAtTheLLM() async throws {
        let server = try await StubServer.started(script: [["status": 500]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger, sleep: { _ in })
        #expect(await labeler.label(captions(1)).map(\.outcome) == [.labeled(.helpful)])
        let line = AnnotatorMetrics.statusLine(labeler.metrics)
        #expect(line.contains("errors 0") && line.hasSuffix("llm failed attempts 1"), "\(line)")
    }

    @Test func malformedOrTruncatedJSONIsRetriedNeverAFinalAnswer() async throws {
        let server = try await StubServer.started(script: [["body": "{\"choices\": [oops"], ["body": "{\"choices\": [{\"index\": 0, \"mess"]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(labeler.failures == [.malformedResponse: 2])
        // Out of retries, it is reported as a transient failure (asked again later), not as
        // the model's answer.
        let once = try await StubServer.started(script: [["body": "{\"choices\": [oops"]])
        defer { once.stop() }
        let impatient = try OpenAILabeler(configuration: configuration(once) { $0.maxRetries = 0 }, logger: testLogger)
        let failed = await impatient.label(captions(1))
        #expect(failed.map(\.outcome) == [.failed(.malformedResponse)])
        #expect(LabelErrorKind.malformedResponse.isTransient && !LabelErrorKind.malformedResponse.isAnswerError)
    }

    @Test(arguments: ["reset", "drop", "truncate"])
    func aBrokenConnectionIsRetriedAtOnceOnAFreshConnection(fault: String) async throws {
        let server = try await StubServer.started(behaviour: ["rules": [["match": "#1!", fault: true, "times": 1]]])
        defer { server.stop() }
        // A long read timeout: waiting for it, as the client once did after a reset, takes a minute.
        let labeler = try OpenAILabeler(configuration: configuration(server) { $0.requestTimeout = .seconds(60) }, logger: testLogger)
        let answers = await labeler.label(captions(3))
        #expect(answers.map(\.outcome) == Array(repeating: .labeled(.helpful), count: 3))
        #expect(labeler.failures == [.transport: 1])
        #expect(labeler.count("immediate_retries") == 1)
        #expect(labeler.metrics["annotator/llm/retry_delay"] == 0 && labeler.count("retries") == 1)
        let stats = try await server.stats()
        #expect(stats.faults[fault] == 1)
        #expect(stats.asks("#1!") == 2)
        for caption in ["#0!", "#1!", "#2!"] { #expect(stats.answers(caption) == 1, "\(caption)") }
    }

    @Test func aServerThatNeverAcceptsIsAConnectTimeoutNotAReadTimeout() async throws {
        let server = try await StubServer.started()
        defer { server.stop() }
        var c = configuration(server) {
            $0.connectTimeout = .milliseconds(300)
            $0.requestTimeout = .seconds(60)
            $0.maxRetries = 1
        }
        c.baseURL = server.blackholeURL
        let labeler = try OpenAILabeler(configuration: c, logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.timeout)])
        #expect(answers.first?.rawResponse.contains("connect timeout") == true)
        #expect(labeler.failures == [.timeout: 2])
    }

    @Test func theConnectTimeoutDoesNotLimitTheModelsTimeToAnswer() async throws {
        let server = try await StubServer.started(script: [["delay": 3.0]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.connectTimeout = .seconds(1)
            $0.requestTimeout = .seconds(60)
        }, logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(labeler.count("retries") == 0)
    }

    @Test func aStalledRequestHoldsOnlyItsOwnItemAndIsCancelledAtOnce() async throws {
        // An hour: the stall must outlast the test however slowly it runs (a 60 s one ended first
        // under a CPU hog); it ends when the call is cancelled.
        let server = try await StubServer.started(behaviour: ["rules": [["match": "#3!", "delay": 3600, "times": 1]]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) { $0.requestTimeout = .seconds(7200) }, logger: testLogger)
        let (events, sink) = AsyncStream.makeStream(of: (index: Int, answer: LabelerAnswer).self)
        let call = Task {
            await labeler.label(captions(8)) { answers in for answer in answers { sink.yield(answer) } }
            sink.finish()
        }
        var iterator = events.makeAsyncIterator()
        var delivered: [Int] = []
        while delivered.count < 7, let event = await iterator.next() {
            #expect(event.answer.outcome == .labeled(.helpful))
            delivered.append(event.index)
        }
        // Seven answers arrived while the stalled one is still at the server.
        #expect(Set(delivered) == Set(0..<8).subtracting([3]))
        #expect(try await server.stats().answers("#3!") == 0)
        // Cancelling the call cancels the stalled request at once.
        call.cancel()
        let last = await iterator.next()
        #expect(last?.index == 3)
        #expect(last?.answer.outcome == .failed(.cancelled))
        await call.value
        #expect(labeler.count("cancelled_requests") == 1)
    }

    @Test(arguments: [OpenAILabeler.Configuration.Transport.automatic, .urlSession])
    func bothTransportsReadAnswersAndHonourTheReadTimeoutAndCancellation(transport: OpenAILabeler.Configuration.Transport) async throws {
        let server = try await StubServer.started(behaviour: ["rules": [
            ["match": "jackal #0!", "chunked": true],
            ["match": "#1!", "delay": 60.0, "times": 1],  // far past the 1 s read timeout, even on a loaded machine
            ["match": "stalled", "delay": 3600, "times": 1],  // until cancelled
        ]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.transport = transport
            $0.requestTimeout = .seconds(1)
        }, logger: testLogger)
        // #0 comes chunked; #1 runs over the read timeout once, then is answered.
        let answers = await labeler.label(captions(2))
        #expect(answers.map(\.outcome) == [.labeled(.helpful), .labeled(.helpful)])
        #expect(labeler.failures[.timeout, default: 0] >= 1)
        #expect(try await server.stats().asks("#1!") >= 2)
        // A stalled request ends at once when its caller is cancelled.
        let patient = try OpenAILabeler(configuration: configuration(server) {
            $0.transport = transport
            $0.requestTimeout = .seconds(7200)
        }, logger: testLogger)
        let call = Task { await patient.label(captions(1, prefix: "You are stalled")) }
        #expect(try await Poll.until { try await server.stats().asks("stalled") == 1 })
        call.cancel()
        #expect(await call.value.map(\.outcome) == [.failed(.cancelled)])
    }

    @Test func rateLimitWithoutRetryAfterBacksOffExponentiallyWithJitter() async throws {
        let server = try await StubServer.started(script: [["status": 429], ["status": 429], ["status": 503]])
        defer { server.stop() }
        let slept = Mutex<[Duration]>([])
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.5)
        }, logger: testLogger, sleep: { duration in slept.withLock { $0.append(duration) } })
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        let delays = slept.withLock { $0 }
        #expect(delays.count == 3)
        for (delay, base) in zip(delays, [100, 200, 400]) {
            #expect(delay >= .milliseconds(base / 2) && delay <= .milliseconds(base * 3 / 2), "\(delay) around \(base) ms")
        }
        #expect(Set(delays).count == 3)
        #expect(labeler.failures == [.rateLimited: 2, .serverError: 1])
    }

    @Test func answerWithoutALabelIsANoLabelErrorNeverAGuess() async throws {
        let server = try await StubServer.started(script: [["content": "The jackal is probably relevant."]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        let answers = await labeler.label(captions(1))
        #expect(answers.map(\.outcome) == [.failed(.noLabel)])
        #expect(answers.first?.rawResponse == "The jackal is probably relevant.")
    }

    /// An answer the server cut at max_tokens before its label is a setting to fix, not the
    /// model's verdict: it must not end as `unlabelable` in the store (a raised max_tokens then
    /// never asked again).
    @Test func anAnswerCutAtMaxTokensBeforeItsLabelIsCutOffNotNoLabel() async throws {
        let cut = #"{"choices": [{"index": 0, "message": {"content": "Let me think about whether the newt"}, "finish_reason": "length"}]}"#
        let server = try await StubServer.started(script: [["body": cut]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server), logger: testLogger)
        #expect(await labeler.label(captions(1)).map(\.outcome) == [.failed(.cutOff)])
        #expect(labeler.count("answers_cut_at_max_tokens") == 1)
        #expect(!LabelErrorKind.cutOff.isAnswerError && !LabelErrorKind.cutOff.isTransient)
    }

    /// A chat model that starts "No." and then changes its mind has given no verdict in the
    /// format asked for (the last line); a completion model's first word is its answer.
    @Test func aChatAnswersFirstLineIsNotItsVerdictButACompletionsIs() async throws {
        let wavering = "No.\nWait, actually killing the newt is clear progress, so it is helpful."
        for (endpoint, expected) in [(OpenAILabeler.Configuration.Endpoint.chatCompletions, LabelOutcome.failed(.noLabel)),
                                     (.completions, .labeled(.notHelpful))] {
            let server = try await StubServer.started(script: [["content": wavering]])
            defer { server.stop() }
            let labeler = try OpenAILabeler(configuration: configuration(server) { $0.endpoint = endpoint }, logger: testLogger)
            #expect(await labeler.label(captions(1)).map(\.outcome) == [expected], "\(endpoint)")
        }
    }

    /// Stopping: requests at the server may deliver, but none waiting for a slot is sent (they
    /// were sent during the annotator's shutdown grace and their answers thrown away).
    @Test func afterStopSendingNewRequestsNothingMoreIsSent() async throws {
        let server = try await StubServer.started()
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) { $0.maxConcurrentRequests = 1 }, logger: testLogger)
        #expect(await labeler.label(captions(1)).map(\.outcome) == [.labeled(.helpful)])
        labeler.stopSendingNewRequests()
        let answers = await labeler.label(captions(3, prefix: "You hit the newt"))
        #expect(answers.allSatisfy { $0.outcome == .failed(.cancelled) }, "\(answers.map(\.outcome))")
        #expect(try await server.stats().calls == 1, "requests were sent after the stop")
    }

    @Test func apiKeyComesFromTheNamedEnvironmentVariable() async throws {
        let server = try await StubServer.started()
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
        let server = try await StubServer.started()
        defer { server.stop() }
        try await server.setDown(true)
        // A cooldown long enough that a loaded machine's stalls cannot run through the 8 retries
        // (one probe per cooldown), short enough that the call ends soon after the server is back.
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.maxRetries = 8
            $0.circuitBreaker = CircuitBreaker.Configuration(failureThreshold: 2, cooldown: .seconds(10))
        }, logger: testLogger)
        let call = Task { await labeler.label(captions(1)) }
        // Bounded generously: in a full suite run the breaker opened only after more than 60 s
        // (other tests held the pool and the stub); the wait ends on the event.
        #expect(await Poll.until { await labeler.breaker.openings > 0 }, "\(labeler.metrics.snapshot())")
        let callsWhileOpen = try await server.stats().calls
        let openings = await labeler.breaker.openings
        try await server.setDown(false)
        let answers = await call.value
        #expect(answers.map(\.outcome) == [.labeled(.helpful)])
        #expect(await labeler.breaker.state == .closed)
        #expect(await labeler.breaker.closings == 1)
        #expect(labeler.metrics["annotator/llm/failing"] == 0)
        // While open, calls waited for the cooldown instead of using up the retries (without
        // the breaker, 9 attempts 5 ms apart would all have reached the server by now): the 2
        // that opened it, then one probe per cooldown, each failed probe opening it again, and
        // perhaps one probe on its way when the server was counted.
        #expect(callsWhileOpen >= 2 && callsWhileOpen <= openings + 2, "calls \(callsWhileOpen), openings \(openings)")
        #expect(labeler.count("retries") < 8)
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

    @Test func answersAreStoredAsTheyArriveWhileAStalledItemIsAtTheServer() async throws {
        // Stalled until shutdown cancels it, however slowly the test runs.
        let server = try await StubServer.started(behaviour: ["rules": [["match": "#2!", "delay": 3600, "times": 1]]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) { $0.requestTimeout = .seconds(7200) }, logger: testLogger)
        let (store, _) = try temporaryStore()
        var c = Annotator.Configuration()
        c.shutdownGrace = .zero
        let annotator = try Annotator(labeler: labeler, store: store, configuration: c, logger: testLogger)
        let stream = await annotator.results()
        _ = await annotator.submit(captions(6))  // one batch
        var iterator = stream.makeAsyncIterator()
        for _ in 0..<5 { #expect(await iterator.next()?.outcome == .labeled(.helpful)) }
        // Stored before published, while their batch still waits for the stalled item.
        #expect(try store.count() == 5)
        #expect(annotator.metrics["annotator/in_flight"] == 1)
        // Shutting down cancels the stalled request at once; nothing was received for it.
        await annotator.shutdown()
        #expect(await iterator.next() == nil)
        #expect(try store.count() == 5)
        #expect(annotator.metrics["annotator/errors/cancelled"] == 1)
        let stats = try await server.stats()
        #expect(stats.answers("#2!") == 0)
        #expect(stats.answered.count == 5)
    }

    @Test func underRandomFaultsEveryCaptionIsLabeledAndNoAnswerIsPaidForTwice() async throws {
        let server = try await StubServer.started(behaviour: ["random": [
            "seed": 7, "reset": 0.1, "drop": 0.05, "truncate": 0.05, "bad_json": 0.05, "status_429": 0.05,
            "status_500": 0.05, "latency": [0.0, 0.02],
        ]])
        defer { server.stop() }
        let labeler = try OpenAILabeler(configuration: configuration(server) {
            $0.maxRetries = 10
            $0.circuitBreaker = CircuitBreaker.Configuration(failureThreshold: 1000, cooldown: .seconds(1))
        }, logger: testLogger)
        let (store, _) = try temporaryStore()
        var c = Annotator.Configuration()
        c.retryBackoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(20), jitter: 0.5)
        let annotator = try Annotator(labeler: labeler, store: store, configuration: c, logger: testLogger)
        let requests = captions(60, prefix: "You hit the newt")
        _ = await annotator.submit(requests)
        await annotator.waitUntilIdle()
        let receipt = await annotator.submit(requests)
        #expect(receipt.known.count == 60)
        #expect(receipt.known.allSatisfy { $0.outcome == .labeled(.helpful) })
        let stats = try await server.stats()
        #expect(stats.faults.values.reduce(0, +) >= 10, "\(stats.faults)")
        #expect(stats.answered.count == 60)
        for index in 0..<60 { #expect(stats.answers("You hit the newt #\(index)!") == 1, "caption \(index)") }
    }

    @Test func annotatorOverTheHTTPBackendStoresAndPublishesLabels() async throws {
        let server = try await StubServer.started()
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

extension OpenAILabeler {
    /// One of the backend's counters (`annotator/llm/<name>`).
    func count(_ name: String) -> Int { Int(metrics["annotator/llm/\(name)"]) }

    /// Failed attempts by kind, for the kinds that failed at least once.
    var failures: [LabelErrorKind: Int] {
        var failures: [LabelErrorKind: Int] = [:]
        for kind in LabelErrorKind.allCases where count("failed_attempts/\(kind.rawValue)") > 0 {
            failures[kind] = count("failed_attempts/\(kind.rawValue)")
        }
        return failures
    }
}
