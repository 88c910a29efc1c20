import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import YendorAnnotatorRole
import YendorMetrics
import YendorWire
import ZeroMQ
import YendorTestSupport
@testable import YendorAnnotator

/// The role in this process (lexicon backend) over real tcp sockets: frames, replies, broadcasts.
@Suite struct AnnotatorServerTests {
    /// Starts a server on fresh loopback ports, runs `body`, then stops it gracefully.
    private func withServer(_ adjust: (inout AnnotatorServer.Configuration) -> Void = { _ in },
                            labeler: (any Labeler)? = nil,
                            _ body: (AnnotatorServer, Context) async throws -> Void) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var c = AnnotatorServer.Configuration()
        c.requestsEndpoint = "tcp://127.0.0.1:\(ChildProcessPorts.free())"
        c.labelsEndpoint = "tcp://127.0.0.1:\(ChildProcessPorts.free())"
        c.storePath = directory.appendingPathComponent("labels.sqlite").path
        c.heartbeatInterval = .milliseconds(100)
        c.statusInterval = nil
        // Only the tests of silent clients want one timed out (they set their own): with the suite's
        // other tests busy on both cores, the server's check once ran before it had read 30 s of the
        // test client's heartbeats, withdrew its queued requests, and the test waited for them forever.
        c.clientTimeout = .seconds(600)
        adjust(&c)
        let context = try Context()
        defer { context.terminate() }
        let server = try labeler.map { try AnnotatorServer(configuration: c, labeler: $0, context: context, logger: testLogger) }
            ?? AnnotatorServer(configuration: c, context: context, logger: testLogger)
        let running = Task { try await server.run() }
        do {
            try await body(server, context)
        } catch {
            server.stop()
            try? await running.value
            throw error
        }
        server.stop()
        try await running.value
    }

    /// A server whose labeler takes one item at a time and holds it at a gate until the test opens it.
    private func withHeldServer(queueCapacity: Int? = nil, clientTimeout: Duration? = nil,
                                _ body: (AnnotatorServer, Context, Gate, RecordingLabeler) async throws -> Void) async throws {
        let gate = Gate()
        let labeler = RecordingLabeler(gate: gate)
        try await withServer({ c in
            if let queueCapacity { c.annotator.queueCapacity = queueCapacity }
            if let clientTimeout { c.clientTimeout = clientTimeout }
            c.annotator.batchSize = 1
            c.annotator.maxConcurrentBatches = 1
        }, labeler: labeler) { server, context in try await body(server, context, gate, labeler) }
    }

    private func client(for server: AnnotatorServer, context: Context, heartbeatInterval: Duration? = nil) async throws -> AnnotatorClient {
        var c = AnnotatorClient.Configuration()
        if let heartbeatInterval { c.heartbeatInterval = heartbeatInterval }
        c.requestsEndpoint = server.configuration.requestsEndpoint
        c.labelsEndpoint = server.configuration.labelsEndpoint
        let client = try await AnnotatorClient(configuration: c, context: context, logger: testLogger)
        #expect(await client.waitForAnnotator(timeout: .seconds(600)))
        return client
    }

    @Test func malformedFramesAreCountedByKindAndTheRoleKeepsAnswering() async throws {
        try await withServer { server, context in
            let dealer = try await AsyncSocket(context: context, type: .dealer, name: "test.dealer") { s in
                try s.set(.linger(milliseconds: 0))
                try s.connect(server.configuration.requestsEndpoint)
            }
            var corrupted = AnnotationRequest(requestID: 1, goal: "combat", mode: .classification,
                                              items: [.classify(caption: "You hit the newt.")]).encoded()
            corrupted[corrupted.count - 1] ^= 0xFF
            var badMagic = corrupted
            badMagic[0] = 0x00
            try await dealer.send([1, 2, 3])                       // shorter than a header
            try await dealer.send(badMagic)                        // not YNDR
            try await dealer.send(corrupted)                       // payload does not match its CRC
            try await dealer.send(Heartbeat(id: "x", sequence: 0, timeNanos: 0, policyVersion: 0).encoded())
            try await dealer.send(AnnotationResult(requestID: 9, goal: "combat", mode: .classification,
                                                   labeler: "x", entries: []).encoded())  // not for the ROUTER
            let request = AnnotationRequest(requestID: 42, goal: "combat", mode: .classification,
                                            items: [.classify(caption: "You kill the newt!")])
            try await dealer.send(request.encoded())

            let reply = try #require(await dealer.receive()?.last)
            let result = try AnnotationResult.decode(reply.bytes)
            #expect(result.requestID == 42)
            #expect(result.entries.count == 1)
            let malformed = Dictionary(uniqueKeysWithValues: server.metrics.snapshot()
                .filter { $0.name.hasPrefix("annotator/malformed/") }.map { (String($0.name.dropFirst(20)), $0.value) })
            #expect(malformed["truncated"] == 1)
            #expect(malformed["bad_magic"] == 1)
            #expect(malformed["checksum"] == 1)
            #expect(malformed.keys.contains { $0.hasPrefix("unexpected_") })
            #expect(malformed.values.reduce(0, +) == 4)
            await dealer.close()
        }
    }

    @Test func helloIsAnsweredWithTheAnnotatorsHello() async throws {
        try await withServer { server, context in
            let dealer = try await AsyncSocket(context: context, type: .dealer, name: "test.dealer") { s in
                try s.set(.linger(milliseconds: 0))
                try s.connect(server.configuration.requestsEndpoint)
            }
            try await dealer.send(Hello(role: "client", id: "test").encoded())
            let reply = try #require(await dealer.receive()?.last)
            let hello = try Hello.decode(reply.bytes)
            #expect(hello.role == "annotator")
            #expect(hello.capability("labeler") == "lexicon/lexicon/\(LexiconLabeler.rulesVersion)")
            await dealer.close()
        }
    }

    @Test func badRequestsAreAnsweredInvalidRequestNamingTheProblem() async throws {
        try await withServer { server, _ in
            let (empty, _) = await server.answer(AnnotationRequest(requestID: 3, goal: " ", mode: .classification,
                                                              items: [.classify(caption: "You see a door.")]))
            guard case .error(.invalidRequest, let why) = empty.entries.first?.outcome else {
                Issue.record("expected invalidRequest, got \(empty.entries)")
                return
            }
            #expect(why.contains("goal"))
            #expect(server.metrics["annotator/invalid_requests"] == 1)
        }
    }

    @Test func clientsSeeLabelsBroadcastOnPubAndStoredLabelsInDirectReplies() async throws {
        try await withServer { server, context in
            let client = try await client(for: server, context: context)
            let captions = ["You kill the jackal!", "You see a fountain.", "You hit the newt."]
            let first = try await client.request(goal: .combat, mode: .classification, items: captions.map { .classify(caption: $0) })
            var broadcast: [String: AnnotationResult.Outcome] = [:]
            var directReply: AnnotationResult?
            for await result in client.results {
                if result.requestID == first { directReply = result }
                if result.requestID == 0, case .classify(caption: let caption) = result.entries[0].item {
                    broadcast[caption] = result.entries[0].outcome
                }
                if broadcast.count == captions.count && directReply != nil { break }
            }
            #expect(directReply?.entries.map(\.outcome) == [.pending, .pending, .pending])
            for caption in captions {
                let expected: Label = LexiconLabeler.isHelpful(caption, goal: .combat) ? .helpful : .notHelpful
                #expect(broadcast[caption] == .label(expected), "\(caption)")
            }
            // Asked again: answered from the store at once, with the same labels.
            let second = try await client.request(goal: .combat, mode: .classification, items: captions.map { .classify(caption: $0) })
            for await result in client.results where result.requestID == second {
                #expect(result.entries.map(\.outcome) == captions.map { broadcast[$0]! })
                break
            }
            await client.close()
        }
    }

    @Test func requestsDroppedFromAFullQueueAreBroadcastAsDropped() async throws {
        // The labeler holds its first batch at a gate until the test opens it, so the queue
        // fills whatever the machine's load (it once assumed a 500 ms labeler was slow enough).
        try await withHeldServer(queueCapacity: 2) { server, context, gate, labeler in
            let client = try await client(for: server, context: context)
            let captions = (1...5).map { "You hit the newt [queue-\($0)]." }
            // #1 goes to the labeler and waits there.
            try await client.request(goal: .combat, mode: .classification, items: [.classify(caption: captions[0])])
            await gate.waitForArrivals(1)
            // Then one request per caption, in order: #2 and #3 are queued, then evicted by #4 and #5.
            for caption in captions[1...] {
                try await client.request(goal: .combat, mode: .classification, items: [.classify(caption: caption)])
            }
            var dropped: Set<String> = []
            var labeled: Set<String> = []
            var opened = false
            for await result in client.results where result.requestID == 0 {
                for entry in result.entries {
                    guard case .classify(caption: let caption) = entry.item else { continue }
                    if case .error(.dropped, _) = entry.outcome { dropped.insert(caption) }
                    if case .label = entry.outcome { labeled.insert(caption) }
                }
                if dropped.count == 2, !opened {
                    #expect(labeled.isEmpty)
                    opened = true
                    await gate.open()
                }
                if dropped.count + labeled.count == captions.count { break }
            }
            #expect(dropped == [captions[1], captions[2]])
            #expect(labeled == [captions[0], captions[3], captions[4]])
            #expect(labeler.askedItems.count == 3)
            #expect(server.metrics["annotator/dropped"] == 2)
            await client.close()
        }
    }

    /// A client that closes (a learner that finished) says Goodbye, and the queued requests only it
    /// asked for leave the queue: the labeler worked through a gone run's backlog before the next
    /// run's requests, which got no label for the whole run.
    @Test func aClientThatClosesTakesTheRequestsOnlyItAskedForOutOfTheQueue() async throws {
        try await withHeldServer { server, context, gate, labeler in
            let old = try await client(for: server, context: context), new = try await client(for: server, context: context)
            let captions = (0...4).map { LabelTask.classify(caption: "You hit the newt [leave-\($0)].") }
            try await old.request(goal: .combat, mode: .classification, items: [captions[0]])
            await gate.waitForArrivals(1)  // #0 at the labeler
            try await old.request(goal: .combat, mode: .classification, items: Array(captions[1...3]))
            try await new.request(goal: .combat, mode: .classification, items: [captions[3], captions[4]])
            // Both requests answered (pending) before the Goodbye: the role has them queued.
            var replies = 0
            for await r in old.results where r.requestID != 0 { replies += 1; if replies == 2 { break } }
            for await r in new.results where r.requestID != 0 { break }
            await old.close()
            let deadline = ContinuousClock.now + .seconds(600)
            while server.metrics["annotator/withdrawn"] != 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.metrics["annotator/withdrawn"] == 2, "#1 and #2: only the old client wanted them")
            await gate.open()
            var labeled: Set<LabelTask> = []
            for await result in new.results where result.requestID == 0 {
                for entry in result.entries { if case .label = entry.outcome { labeled.insert(entry.item) } }
                if labeled.count == 3 { break }
            }
            #expect(labeled == [captions[0], captions[3], captions[4]])
            #expect(Set(labeler.askedItems.map(\.task)) == [captions[0], captions[3], captions[4]])
            await new.close()
        }
    }

    /// A client that heartbeated and then fell silent without a Goodbye (a learner SIGKILLed, its
    /// node lost) has the queued requests only it asked for withdrawn after `clientTimeout`: they
    /// stayed for the labeler to work through before the next run's. The learner's client
    /// heartbeats, so it is tracked; a client that never heartbeats is never timed out, so the
    /// requests it shares stay (no step of this test depends on how fast the machine is).
    @Test func aClientThatHeartbeatedAndFellSilentHasTheRequestsOnlyItAskedForWithdrawn() async throws {
        try await withHeldServer(clientTimeout: .seconds(2)) { server, context, gate, labeler in
            let deadline = ContinuousClock.now + .seconds(600)
            func tracked(_ id: String) -> Bool { server.clients.withLock { $0.values.contains { $0.id == id } } }
            let learner = try await client(for: server, context: context, heartbeatInterval: .milliseconds(100))
            while !tracked(learner.configuration.id) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(tracked(learner.configuration.id), "the learner's client heartbeats")
            await learner.close()
            func dealer(_ name: String) async throws -> AsyncSocket {
                try await AsyncSocket(context: context, type: .dealer, name: name) { s in
                    try s.set(.linger(milliseconds: 0))
                    try s.connect(server.configuration.requestsEndpoint)
                }
            }
            let quiet = try await dealer("test.quiet"), gone = try await dealer("test.gone")
            defer { Task { await quiet.close(); await gone.close() } }
            func ask(_ socket: AsyncSocket, _ items: [LabelTask]) async throws {
                try await socket.send(AnnotationRequest(requestID: 1, goal: Goal.combat.wireText, mode: .classification, items: items).encoded())
                _ = await socket.receive()  // answered: queued
            }
            let captions = (0...3).map { LabelTask.classify(caption: "You hit the newt [silent-\($0)].") }
            try await ask(quiet, [captions[0]])
            await gate.waitForArrivals(1)  // #0 at the labeler; the rest queue behind it
            try await ask(gone, [captions[1], captions[2]])
            try await ask(quiet, [captions[2], captions[3]])
            // Its heartbeat last, once its requests are queued: however slow the machine, it is
            // tracked from here, and its silence starts here.
            try await gone.send(Heartbeat(id: "gone-learner", sequence: 0, timeNanos: 0, policyVersion: 0).encoded())
            // `gone` says nothing more, and no Goodbye.
            while server.metrics["annotator/withdrawn"] != 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.metrics["annotator/withdrawn"] == 1, "#1: only the silent client wanted it")
            #expect(!tracked("gone-learner") && !tracked(learner.configuration.id))
            await gate.open()
            await server.annotator.waitUntilIdle()
            #expect(Set(labeler.askedItems.map(\.task)) == [captions[0], captions[2], captions[3]])
        }
    }

    @Test func clientQueuesRequestsWhileTheAnnotatorIsDownAndCountsWhatItCannotSend() async throws {
        let context = try Context()
        defer { context.terminate() }
        var c = AnnotatorClient.Configuration.onFreeLoopbackPorts()
        c.outboxCapacity = 4
        c.sendTimeout = .zero
        let client = try await AnnotatorClient(configuration: c, context: context, logger: testLogger)
        // Nobody listens: the outbox and libzmq take a bounded number, then requests are refused.
        // No waiting for the socket thread: whatever it drains, capacity is finite and nothing
        // drains for good without a peer, so refusals must come.
        var accepted: Set<UInt64> = []
        var refused = 0
        for i in 0..<100_000 where refused == 0 {
            if let id = client.tryRequest(goal: .gold, mode: .classification, items: [.classify(caption: "You see \(i) gold pieces.")]) {
                accepted.insert(id)
            } else {
                refused += 1
            }
        }
        // With no wait, `request` throws once the outbox is full; any it still gets in are sent.
        var thrown = false
        for i in 0..<100_000 where !thrown {
            do {
                accepted.insert(try await client.request(goal: .gold, mode: .classification,
                                                         items: [.classify(caption: "one more \(i)"), .classify(caption: "and another \(i)")]))
            } catch is AnnotatorClient.Unsent {
                thrown = true
            }
        }
        #expect(thrown, "request with a full outbox and no wait did not throw")
        #expect(refused > 0 && !accepted.isEmpty)
        #expect(client.metrics["annotator_client/unsent_items"] == Double(refused + 2))
        // The annotator comes up on that endpoint: every accepted request gets its reply.
        try await withServer({ s in
            s.requestsEndpoint = c.requestsEndpoint
            s.labelsEndpoint = c.labelsEndpoint
        }) { _, _ in
            var answered: Set<UInt64> = []
            for await result in client.results where result.requestID != 0 {
                answered.insert(result.requestID)
                if answered == accepted { break }
            }
            #expect(answered == accepted)
        }
        await client.close()
    }

    @Test func aPythonSubscriberDecodesLabelBroadcasts() async throws {
        try await withServer { server, context in
            try await checkPythonSubscriber(server: server, context: context)
        }
    }

    private func checkPythonSubscriber(server: AnnotatorServer, context: Context) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/label_subscriber.py")
        let python = try ChildProcess(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                      arguments: ["python3", script.path, server.configuration.labelsEndpoint, "2"])
        // Hang guards (the waits end on the event); under a saturated CI machine the heartbeat that
        // makes the subscriber ready has taken minutes.
        let ready = await python.waitForLine(timeout: 590) { $0 == "ready" }
        #expect(ready != nil)
        let client = try await client(for: server, context: context)
        try await client.request(goal: .combat, mode: .classification,
                                 items: [.classify(caption: "You kill the jackal!"), .classify(caption: "You see a fountain.")])
        let status = await python.waitForExit(timeout: 590)
        python.kill()
        #expect(status == 0)
        let results = Set(python.lines.filter { $0.hasPrefix("result ") })
        #expect(results == ["result 0 combat You_kill_the_jackal! 0 1", "result 0 combat You_see_a_fountain. 0 0"])
        await client.close()
    }

    @Test func configurationErrorsNameTheField() {
        var c = AnnotatorServer.Configuration()
        c.labelsEndpoint = "localhost:5558"
        #expect(throws: AnnotatorError.self) { try c.validate() }
        do { try c.validate() } catch { #expect("\(error)".contains("labelsEndpoint")) }
        c = AnnotatorServer.Configuration()
        c.annotator.batchSize = 0
        do { try c.validate(); Issue.record("batchSize 0 accepted") } catch {
            #expect("\(error)".contains("annotator.batchSize"))
        }
    }
}

/// Free loopback ports for in-process servers.
enum ChildProcessPorts {
    static func free() -> Int { YendorTestSupport.ChildProcess.freePort() }
}
