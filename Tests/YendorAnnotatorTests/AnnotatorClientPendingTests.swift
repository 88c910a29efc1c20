import Foundation
import Testing
@testable import YendorAnnotatorRole
import YendorAnnotator
import YendorMetrics
import YendorTestSupport
import YendorWire
import ZeroMQ

/// The client remembers the items it sent until they are answered (at most `pendingCapacity`, the
/// oldest forgotten first) and sends them again when the annotator restarts. The annotator is
/// played by the test on real sockets: a ROUTER for requests, a PUB for heartbeats and stats.
@Suite struct AnnotatorClientPendingTests {
    /// A fake annotator (a ROUTER for requests, a PUB for heartbeats and labels) and a client of it
    /// whose SUB is connected, so that no broadcast from then on is missed; all closed after `body`.
    private func withFakeAnnotator(pendingCapacity: Int? = nil,
                                   _ body: (_ router: AsyncSocket, _ pub: AsyncSocket, _ client: AnnotatorClient) async throws -> Void) async throws {
        let context = try Context()
        defer { context.terminate() }
        var c = AnnotatorClient.Configuration.onFreeLoopbackPorts()
        if let pendingCapacity { c.pendingCapacity = pendingCapacity }
        let requests = c.requestsEndpoint, labels = c.labelsEndpoint
        let router = try await AsyncSocket(context: context, type: .router, name: "fake-annotator.requests") { try $0.bind(requests) }
        let pub = try await AsyncSocket(context: context, type: .pub, name: "fake-annotator.labels") { try $0.bind(labels) }
        let client = try await AnnotatorClient(configuration: c, context: context, logger: testLogger)
        // Heartbeats until the client's SUB is connected.
        let beating = Task {
            while !Task.isCancelled {
                try? await pub.send(Heartbeat(id: "annotator", sequence: 0, timeNanos: 0, policyVersion: 0).encoded())
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(await client.waitForAnnotator(timeout: .seconds(600)))
        beating.cancel()
        func close() async {
            await client.close()
            await router.close()
            await pub.close()
        }
        do { try await body(router, pub, client) } catch {
            await close()
            throw error
        }
        await close()
    }

    @Test func pendingItemsBeyondCapacityAreForgottenOldestFirstAndTheRestAreResentAfterARestart() async throws {
        try await withFakeAnnotator(pendingCapacity: 2) { router, pub, client in
            /// The next request the client sends (its Hello and anything else are skipped), with the
            /// ROUTER's identity frame for the reply.
            func nextRequest() async throws -> (identity: [UInt8], request: AnnotationRequest) {
                while let parts = await router.receive() {
                    if case .annotationRequest(let request) = try WireMessage.decode(parts.last!.bytes) {
                        return (parts.first!.bytes, request)
                    }
                }
                throw CancellationError()
            }
            func stats(startedAt: Double) -> [UInt8] {
                Stats(id: "annotator", role: "annotator", timeNanos: 0, values: [(AnnotatorServer.startedAtMetric, startedAt)]).encoded()
            }
            try await pub.send(stats(startedAt: 1))

            let captions = ["You see here a newt corpse.", "The door opens.", "You find a hidden passage."]
            let id = try #require(client.tryRequest(goal: .stairs, mode: .classification, items: captions.map { .classify(caption: $0) }))
            let asked = try await nextRequest()
            #expect(asked.request.items.count == 3)
            // All three pending: the first is forgotten (capacity 2); then the second gets its label.
            let pending = AnnotationResult(requestID: id, goal: "stairs", mode: .classification, labeler: "fake",
                                           entries: captions.map { .init(item: .classify(caption: $0), outcome: .pending) })
            try await router.send([asked.identity, pending.encoded()])
            var results = client.results.makeAsyncIterator()
            #expect(await results.next()?.requestID == id)
            // Sent only now: the PUB and the ROUTER are separate connections, with no order between them.
            let labeled = AnnotationResult(requestID: 0, goal: "stairs", mode: .classification, labeler: "fake",
                                           entries: [.init(item: .classify(caption: captions[1]), outcome: .label(.helpful))])
            try await pub.send(labeled.encoded())
            #expect(await results.next()?.requestID == 0)
            #expect(client.metrics["annotator_client/forgotten_pending"] == 1)

            // A new start time: the annotator restarted, and only the item still pending is asked again.
            try await pub.send(stats(startedAt: 2))
            let resent = try await nextRequest().request
            #expect(resent.goal == "stairs")
            #expect(resent.items == [.classify(caption: captions[2])])
            // Counted once the request is handed over, which can be just after it arrived here.
            #expect(await Poll.until { client.metrics["annotator_client/resent_items"] >= 1 })
            #expect(client.metrics["annotator_client/resent_items"] == 1)
        }
    }
    /// The label broadcast can come before the direct reply that says "pending" (two connections,
    /// no order between them; the lexicon answers at once): the item stays answered. It was
    /// remembered as pending for good, sent again at every annotator restart and its label counted
    /// again (a long run's trial: 7,869 items resent, all labeled; labels received 23% too high).
    @Test func aLabelThatArrivesBeforeThePendingReplyLeavesTheItemAnswered() async throws {
        try await withFakeAnnotator { router, pub, client in
        let item = LabelTask.classify(caption: "You find a hidden passage.")
        let id = try #require(client.tryRequest(goal: .stairs, mode: .classification, items: [item]))
        #expect(client.pendingCount == 1, "remembered from the send")
        var identity: [UInt8] = []
        while let parts = await router.receive() {
            if case .annotationRequest = try WireMessage.decode(parts.last!.bytes) { identity = parts.first!.bytes; break }
        }
        var results = client.results.makeAsyncIterator()
        try await pub.send(AnnotationResult(requestID: 0, goal: "stairs", mode: .classification, labeler: "fake",
                                            entries: [.init(item: item, outcome: .label(.helpful))]).encoded())
        while let r = await results.next(), r.requestID != 0 {}
        try await router.send([identity, AnnotationResult(requestID: id, goal: "stairs", mode: .classification, labeler: "fake",
                                                          entries: [.init(item: item, outcome: .pending)]).encoded()])
        while let r = await results.next(), r.requestID != id {}
        #expect(client.pendingCount == 0, "the label answered it; the later pending reply changes nothing")
        }
    }
}
