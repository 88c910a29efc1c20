import Foundation
import Testing
@testable import YendorAnnotatorRole
import YendorMetrics
import YendorTestSupport
import YendorWire
import ZeroMQ
@testable import YendorAnnotator

/// `yendor annotator` as a real child process with the openai backend against the Python stub.
@Suite(.serialized) struct AnnotatorRoleTests {
    /// A running `yendor annotator` on fresh loopback ports.
    struct Role {
        let process: ChildProcess
        let requests: String
        let labels: String

        init(stub: StubServer, store: String, requests: String? = nil, labels: String? = nil, extra: [String] = []) async throws {
            self.requests = requests ?? "tcp://127.0.0.1:\(ChildProcess.freePort())"
            self.labels = labels ?? "tcp://127.0.0.1:\(ChildProcess.freePort())"
            process = try ChildProcess(yendor: [
                "annotator", "--backend", "openai", "--llm-url", stub.baseURL.absoluteString, "--model", "stub",
                "--store", store, "--requests", self.requests, "--labels", self.labels,
                "--status-interval-s", "0", "--log-level", "warning",
            ] + extra)
            guard await process.waitForLine(timeout: 600, { $0.hasPrefix("annotator ready") }) != nil else {
                process.kill()
                throw RoleError.didNotStart(process.standardError)
            }
        }
    }

    enum RoleError: Error { case didNotStart(String) }

    private func client(_ role: Role, context: Context) async throws -> AnnotatorClient {
        var c = AnnotatorClient.Configuration()
        c.requestsEndpoint = role.requests
        c.labelsEndpoint = role.labels
        let client = try await AnnotatorClient(configuration: c, context: context, logger: testLogger)
        #expect(await client.waitForAnnotator(timeout: .seconds(600)))
        return client
    }

    /// Starts a role and connects a client to it through a fresh context. The test kills the role
    /// and terminates the context when it ends (both also happen when they are released).
    private func startedRoleAndClient(stub: StubServer, store: String, extra: [String])
        async throws -> (role: Role, context: Context, client: AnnotatorClient)
    {
        let role = try await Role(stub: stub, store: store, extra: extra)
        let context = try Context()
        return (role, context, try await client(role, context: context))
    }

    /// Reads `client.results` until `done` holds for what was read; gives up after `limit` (a hang
    /// guard, not a timing assertion) and returns what it has.
    private func collect(from client: AnnotatorClient, limit: Duration = .seconds(30),
                         until done: @escaping @Sendable ([AnnotationResult]) -> Bool) async -> [AnnotationResult] {
        let read = Task {
            var results: [AnnotationResult] = []
            for await result in client.results {
                results.append(result)
                if done(results) { break }
            }
            return results
        }
        let guardTask = Task {
            try? await Task.sleep(for: limit)
            read.cancel()
        }
        let results = await read.value
        guardTask.cancel()
        return results
    }

    /// Caption -> label value in results.
    private static func labels(in results: [AnnotationResult], broadcastOnly: Bool = false) -> [String: Label] {
        var found: [String: Label] = [:]
        for result in results where !broadcastOnly || result.requestID == 0 {
            for entry in result.entries {
                if case .classify(caption: let caption) = entry.item, case .label(let value) = entry.outcome { found[caption] = value }
            }
        }
        return found
    }

    private func labels(from client: AnnotatorClient, for captions: Set<String>) async -> [String: Label] {
        let results = await collect(from: client) { captions.isSubset(of: Self.labels(in: $0).keys) }
        return Self.labels(in: results).filter { captions.contains($0.key) }
    }

    /// How many prompts the stub received that mention the caption.
    private func asks(_ caption: String, _ stats: StubServer.Stats) -> Int { stats.asks(caption) }

    /// An API key variable that is not set is said before anything starts, under the option's
    /// own name (it said `apiKeyEnvironmentVariable`, and `train` exited 1 after its worker started).
    @Test(arguments: [
        (["annotator", "--backend", "openai", "--llm-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "YENDOR_TEST_NO_SUCH_KEY"],
         "--api-key-env names the environment variable YENDOR_TEST_NO_SUCH_KEY, which is not set"),
        (["train", "--steps", "100", "--reward", "classification", "--set", "reward.labeler=openai", "--set", "reward.llm_url=http://127.0.0.1:9/v1",
          "--set", "reward.llm_model=m", "--set", "reward.llm_api_key_env=YENDOR_TEST_NO_SUCH_KEY"],
         "reward.llm_api_key_env (validation): names the environment variable YENDOR_TEST_NO_SUCH_KEY, which is not set"),
    ])
    func anAPIKeyVariableThatIsNotSetIsRefusedUnderItsOptionsName(arguments: [String], said: String) async throws {
        let dir = try temporaryDirectory()
        let process = try ChildProcess(yendor: arguments + (arguments[0] == "train" ? ["--run-dir", dir.appendingPathComponent("run").path] : []))
        #expect(await process.waitForExit(timeout: 600) == 64, "\(process.standardError.suffix(1500))")
        #expect(process.standardError.contains(said), "\(process.standardError.suffix(1500))")
    }

    /// A label store that cannot be opened (a full or read-only disk; here a path under a file) is
    /// the machine's problem, not the command line's: said without the usage, exit status 1 (it
    /// was 64 with the usage, as for a mistyped option; trial Y).
    @Test func aStoreThatCannotBeOpenedIsSaidWithoutTheUsageAndExitStatus1() async throws {
        let process = try ChildProcess(yendor: ["annotator", "--store", "/dev/null/labels.sqlite",
                                                "--requests", "tcp://127.0.0.1:\(ChildProcess.freePort())",
                                                "--labels", "tcp://127.0.0.1:\(ChildProcess.freePort())"])
        #expect(await process.waitForExit(timeout: 600) == 1, "\(process.standardError.suffix(1500))")
        #expect(process.standardError.contains("label store: cannot open /dev/null/labels.sqlite"), "\(process.standardError.suffix(1500))")
        #expect(!process.standardError.contains("Usage:"), "\(process.standardError.suffix(1500))")
    }

    @Test func concurrentIdenticalRequestsFromTwoClientsCostOneLLMCallPerCaption() async throws {
        // Slow answers keep the first client's items pending while the second client asks.
        let stub = try await StubServer.started(script: Array(repeating: ["delay": 0.2], count: 12))
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (role, context, a) = try await startedRoleAndClient(stub: stub, store: directory.appendingPathComponent("labels.sqlite").path,
                                                                extra: ["--batch-size", "3", "--max-concurrent-batches", "2"])
        defer { role.process.kill() }
        defer { context.terminate() }
        let b = try await client(role, context: context)
        let captions = (1...6).map { "You kill the jackal [dedup-\($0)]!" }
        let items = captions.map { LabelTask.classify(caption: $0) }
        async let sentA = a.request(goal: .combat, mode: .classification, items: items)
        async let sentB = b.request(goal: .combat, mode: .classification, items: items)
        _ = try await (sentA, sentB)
        async let labelsA = labels(from: a, for: Set(captions))
        async let labelsB = labels(from: b, for: Set(captions))
        let (gotA, gotB) = await (labelsA, labelsB)
        #expect(gotA.count == captions.count)
        #expect(gotB.count == captions.count)
        #expect(gotA == gotB)
        #expect(Set(gotA.values) == [.helpful])  // the stub answers "helpful"
        let stats = try await stub.stats()
        for caption in captions { #expect(asks(caption, stats) == 1, "\(caption)") }
        #expect(stats.calls == captions.count)
        await a.close()
        await b.close()
        role.process.signal(SIGTERM)
        #expect(await role.process.waitForExit(timeout: 120) == 0)
    }

    /// Items that found the client's outbox full while the annotator was down go out when it is
    /// heard again; before, they waited for the reward model to ask again, a minute later (trial Q:
    /// 440 questions of a 12 s outage).
    @Test func itemsThatCouldNotBeSentGoOutWhenTheAnnotatorIsHeardAgain() async throws {
        let stub = try await StubServer.started()
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("labels.sqlite").path
        let first = try await Role(stub: stub, store: store)
        defer { first.process.kill() }
        let context = try Context()
        defer { context.terminate() }
        var c = AnnotatorClient.Configuration()
        c.requestsEndpoint = first.requests
        c.labelsEndpoint = first.labels
        c.outboxCapacity = 1
        let client = try await AnnotatorClient(configuration: c, context: context, logger: testLogger)
        #expect(await client.waitForAnnotator(timeout: .seconds(600)))
        first.process.kill()
        _ = await first.process.waitForExit(timeout: 600)

        // Asked one at a time until three find the outbox full (nothing drains it now). Those the
        // outbox took are not this test's: on a loaded machine libzmq may not have noticed the dead
        // connection yet and sends them down it, and they are lost with it (a learner asks again
        // after a minute without an answer: LabelBridge's retry).
        var refused: [String] = []
        for i in 0..<10_000 where refused.count < 3 {
            let caption = "You hear a distant squeak [away-\(i)]."
            if client.tryRequest(goal: .score, mode: .classification, items: [.classify(caption: caption)]) == nil { refused.append(caption) }
        }
        #expect(refused.count == 3 && client.unsentCount == 3)
        #expect(client.metrics["annotator_client/unsent_items"] == 3)

        let second = try await Role(stub: stub, store: store, requests: first.requests, labels: first.labels)
        defer { second.process.kill() }
        let asked = Set(refused)
        let found = await collect(from: client, limit: .seconds(600)) { asked.isSubset(of: Self.labels(in: $0).keys) }
        #expect(asked.isSubset(of: Self.labels(in: found).keys), "labelled: \(Self.labels(in: found).keys.sorted())")
        // The client counts an item sent once its send returns, which may come after its label
        // (CI: 2 still counted unsent as the labels arrived): waited for, not read at once.
        #expect(await Poll.until { client.unsentCount == 0 }, "unsent: \(client.unsentCount)")
        #expect(client.metrics["annotator_client/resent_items"] >= 3)
        await client.close()
    }

    @Test func storeSurvivesSigkillMidBatchAndNoPublishedCaptionIsAskedTwice() async throws {
        // Captions 5 to 12 stall at the LLM for a minute, so the kill is sure to find the third
        // batch there, however slowly the test runs; the restarted role gets prompt answers.
        let stalled = (5...12).map { ["match": "[kill-\($0)]", "delay": 60] as [String: Any] }
        let stub = try await StubServer.started(behaviour: ["rules": stalled])
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("labels.sqlite").path
        let extra = ["--batch-size", "2", "--max-concurrent-batches", "1"]
        let (first, context, client) = try await startedRoleAndClient(stub: stub, store: store, extra: extra)
        defer { first.process.kill() }
        defer { context.terminate() }
        let captions = (1...12).map { "You find a hidden passage [kill-\($0)]." }
        try await client.request(goal: .score, mode: .classification, items: captions.map { .classify(caption: $0) })

        // Wait for the four prompt labels and for the stalled batch to reach the LLM, then kill -9.
        let before = await collect(from: client) { Self.labels(in: $0, broadcastOnly: true).count >= 4 }
        #expect(try await Poll.until { try await stub.stats().asks("[kill-5]") == 1 })
        first.process.kill()
        _ = await first.process.waitForExit(timeout: 10)
        let published = Set(Self.labels(in: before, broadcastOnly: true).keys)
        #expect(published == Set(captions[0..<4]))

        // Restart on the same store and ports: the client reconnects and asks again.
        try await stub.setRules([])
        let second = try await Role(stub: stub, store: store, requests: first.requests, labels: first.labels, extra: extra)
        defer { second.process.kill() }
        let requestID = try await client.request(goal: .score, mode: .classification, items: captions.map { .classify(caption: $0) })
        let after = await collect(from: client) { results in
            results.contains { $0.requestID == requestID } && Self.labels(in: results).count >= captions.count
        }
        // Every label published before the kill comes straight from the store.
        let reply = try #require(after.first { $0.requestID == requestID })
        for entry in reply.entries {
            guard case .classify(caption: let caption) = entry.item, published.contains(caption) else { continue }
            #expect(entry.outcome == .label(.helpful), "\(caption)")
        }
        #expect(Self.labels(in: after).count == captions.count)
        // The client told the restart from the annotator's start time.
        #expect(await Poll.until { client.metrics["annotator_client/annotator_restarts"] == 1 })
        let stats = try await stub.stats()
        for caption in published { #expect(asks(caption, stats) == 1, "\(caption) asked again") }
        for caption in captions { #expect(stats.answers(caption) == 1, "\(caption) paid for twice") }
        await client.close()
        second.process.signal(SIGTERM)
        #expect(await second.process.waitForExit(timeout: 120) == 0)
    }

    @Test func sigtermStoresEveryAnswerReceivedAndDoesNotWaitForStalledRequests() async throws {
        // Two captions stall at the LLM for ten minutes, one in each batch; the twelve others are
        // answered at once. SIGTERM comes once the stub has sent (been paid for) those twelve.
        let stub = try await StubServer.started(behaviour: ["rules": [["match": "[stall-", "delay": 600]]])
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("labels.sqlite").path
        let extra = ["--batch-size", "7", "--max-concurrent-batches", "2", "--max-concurrent-requests", "8",
                     "--shutdown-grace-s", "1"]
        let (role, context, client) = try await startedRoleAndClient(stub: stub, store: store, extra: extra)
        defer { role.process.kill() }
        defer { context.terminate() }
        let fast = (1...12).map { "You read a scroll [fast-\($0)]." }
        let slow = ["You read a scroll [stall-1].", "You read a scroll [stall-2]."]
        let captions = [slow[0]] + fast[0..<6] + [slow[1]] + fast[6...]
        try await client.request(goal: .score, mode: .classification, items: captions.map { .classify(caption: $0) })
        #expect(try await Poll.until {
            let stats = try await stub.stats()
            return stats.answered.count == fast.count && stats.asks("[stall-") == 2
        })
        let signalled = ContinuousClock.now
        role.process.signal(SIGTERM)
        // It exits without waiting for the stalled requests: they are still unanswered when it has
        // gone (the bound only guards a hang, and is below the stall).
        #expect(await role.process.waitForExit(timeout: 300) == 0)
        let exitSeconds = (ContinuousClock.now - signalled).seconds
        #expect(try await stub.stats().answers("[stall-") == 0)
        // Every answer the LLM sent is in the store; nothing stalled is.
        let labels = try LabelStore(path: store)
        #expect(try labels.count() == fast.count)
        print("annotator SIGTERM with two requests stalled: exited after \(exitSeconds) s, \(try labels.count()) of \(fast.count) answers stored")

        // Restarted, it asks only for what it never received.
        try await stub.setRules([])
        let second = try await Role(stub: stub, store: store, requests: role.requests, labels: role.labels, extra: extra)
        defer { second.process.kill() }
        let requestID = try await client.request(goal: .score, mode: .classification, items: captions.map { .classify(caption: $0) })
        let after = await collect(from: client) { results in
            results.contains { $0.requestID == requestID } && Set(captions).isSubset(of: Self.labels(in: results).keys)
        }
        // The stored answers come in the direct reply. The stalled ones may too: the client sends
        // what it had pending again when it sees the restart, and that may be answered first.
        let reply = try #require(after.first { $0.requestID == requestID })
        for entry in reply.entries {
            guard case .classify(caption: let caption) = entry.item else { continue }
            #expect(entry.outcome == .label(.helpful) || (slow.contains(caption) && entry.outcome == .pending), "\(caption): \(entry.outcome)")
        }
        let stats = try await stub.stats()
        for caption in captions { #expect(stats.answers(caption) == 1, "\(caption) paid for \(stats.answers(caption)) times") }
        for caption in slow { #expect(asks(caption, stats) == 2) }
        await client.close()
        second.process.signal(SIGTERM)
        #expect(await second.process.waitForExit(timeout: 120) == 0)
    }

    @Test func sigtermFinishesTheBatchAtTheLLMStoresAndPublishesItThenExits() async throws {
        let stub = try await StubServer.started(script: [["delay": 0.5]])
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("labels.sqlite").path
        // A grace far longer than the call's half second: the answer arrives within it however
        // loaded the machine is.
        let (role, context, client) = try await startedRoleAndClient(stub: stub, store: store, extra: ["--shutdown-grace-s", "30"])
        defer { role.process.kill() }
        defer { context.terminate() }
        let caption = "You descend the stairs [sigterm]."
        try await client.request(goal: .stairs, mode: .classification, items: [.classify(caption: caption)])
        // The call is at the (slow) stub once the stub has counted it.
        #expect(try await Poll.until { try await stub.stats().calls > 0 })
        role.process.signal(SIGTERM)
        let published = await collect(from: client) { Self.labels(in: $0, broadcastOnly: true)[caption] != nil }
        #expect(Self.labels(in: published, broadcastOnly: true)[caption] == .helpful)
        #expect(await role.process.waitForExit(timeout: 120) == 0)
        await client.close()
        // It was stored: the label store answers it without the LLM.
        let labelStore = try LabelStore(path: store)
        #expect(try labelStore.count() == 1)
    }
}
