import Foundation
import Logging
import Testing
import YendorMetrics
import YendorTestSupport
@testable import YendorAnnotator

@Suite struct AnnotatorTests {
    func makeAnnotator(_ labeler: any Labeler, store: LabelStore? = nil,
                       _ adjust: (inout Annotator.Configuration) -> Void = { _ in }) throws -> Annotator {
        var configuration = Annotator.Configuration()
        // Retries come back within milliseconds here; tests about the delays set their own.
        configuration.retryBackoff = Backoff(initial: .milliseconds(1), maximum: .milliseconds(5), jitter: 0.5)
        adjust(&configuration)
        return try Annotator(labeler: labeler, store: store ?? temporaryStore().0, configuration: configuration, logger: testLogger)
    }

    /// An annotator whose labeler holds every call until the test opens the gate, so requests
    /// stay queued or in flight meanwhile; limits left nil keep the configuration's defaults.
    func makeHeldAnnotator(store: LabelStore? = nil, queueCapacity: Int? = nil, batchSize: Int? = nil,
                           maxConcurrentBatches: Int? = nil) throws -> (annotator: Annotator, labeler: RecordingLabeler, gate: Gate) {
        let gate = Gate()
        let labeler = RecordingLabeler(gate: gate)
        let annotator = try makeAnnotator(labeler, store: store) {
            if let queueCapacity { $0.queueCapacity = queueCapacity }
            if let batchSize { $0.batchSize = batchSize }
            if let maxConcurrentBatches { $0.maxConcurrentBatches = maxConcurrentBatches }
        }
        return (annotator, labeler, gate)
    }

    @Test func knownLabelsAreAnsweredAtOnceFromTheStore() async throws {
        let labeler = RecordingLabeler()
        let annotator = try makeAnnotator(labeler)
        let request = LabelRequest.classify("You kill the jackal!", goal: .combat)
        let first = await annotator.submit([request])
        #expect(first.queued == 1 && first.known.isEmpty)
        await annotator.waitUntilIdle()
        let second = await annotator.submit([request])
        #expect(second.known.map(\.outcome) == [.labeled(.helpful)])
        #expect(second.known.first?.source == .store)
        #expect(second.queued == 0)
        #expect(labeler.askedItems == [request])
        #expect(annotator.metrics["annotator/cache_hits"] == 1)
    }

    @Test func concurrentIdenticalRequestsFromTwoClientsAreLabeledOnce() async throws {
        let (annotator, labeler, gate) = try makeHeldAnnotator()
        let stream = await annotator.results()
        let requests = captions(5)
        async let receiptA = annotator.submit(requests)
        async let receiptB = annotator.submit(requests)
        let (a, b) = await (receiptA, receiptB)
        #expect(a.queued + b.queued == 5)
        #expect(a.duplicates + b.duplicates == 5)
        await gate.open()
        await annotator.waitUntilIdle()
        #expect(labeler.askedItems.count == 5)
        #expect(Set(labeler.askedItems) == Set(requests))
        var published: [LabelRequest] = []
        for await result in stream {
            published.append(result.request)
            if published.count == 5 { break }
        }
        #expect(Set(published) == Set(requests))
        #expect(annotator.metrics["annotator/duplicates"] == 5)
    }

    /// A client that leaves (a finished run's learner) takes out of the queue the requests only it
    /// asked for; those another client also wants, and those at the labeler, stay. Its backlog
    /// kept the next run's requests waiting behind it before.
    @Test func aClientThatLeavesWithdrawsTheQueuedRequestsOnlyItAskedFor() async throws {
        let (annotator, labeler, gate) = try makeHeldAnnotator(batchSize: 1, maxConcurrentBatches: 1)
        let requests = captions(6)
        _ = await annotator.submit([requests[0]], client: "old")  // at the (blocked) labeler
        _ = await annotator.submit(Array(requests[1...4]), client: "old")
        _ = await annotator.submit([requests[4], requests[5]], client: "new")
        #expect(await annotator.withdraw(client: "old") == 3)
        #expect(annotator.metrics["annotator/withdrawn"] == 3 && annotator.metrics["annotator/queue_depth"] == 2)
        #expect(await annotator.withdraw(client: "old") == 0, "once")
        await gate.open()
        await annotator.waitUntilIdle()
        #expect(labeler.askedItems == [requests[0], requests[4], requests[5]])
    }

    @Test func fullQueueDropsTheOldestPendingRequestsFirst() async throws {
        let (annotator, labeler, gate) = try makeHeldAnnotator(queueCapacity: 3, batchSize: 1, maxConcurrentBatches: 1)
        let requests = captions(6)
        _ = await annotator.submit([requests[0]])  // goes straight to the (blocked) labeler
        var dropped = 0
        for request in requests[1...] { dropped += await annotator.submit([request]).dropped }
        #expect(dropped == 2)
        let metrics = annotator.metrics
        #expect(metrics["annotator/dropped"] == 2 && metrics["annotator/queue_depth"] == 3 && metrics["annotator/in_flight"] == 1)
        await gate.open()
        await annotator.waitUntilIdle()
        #expect(labeler.askedItems == [requests[0], requests[3], requests[4], requests[5]])
    }

    /// Who asked for a request is kept while it is queued or in flight, and forgotten as it is
    /// answered or dropped: kept for a late sweep, it was most of the role's memory (trial W).
    @Test func whoAskedIsForgottenOnceARequestIsAnsweredOrDropped() async throws {
        let (annotator, _, gate) = try makeHeldAnnotator(queueCapacity: 4, batchSize: 2, maxConcurrentBatches: 1)
        let receipt = await annotator.submit(captions(10), client: "learner-1")
        #expect(receipt.dropped == 6)
        #expect(await annotator.askerCount == 4, "2 in flight and 2 queued; the 6 dropped are forgotten")
        await gate.open()
        await annotator.waitUntilIdle()
        #expect(await annotator.askerCount == 0)
    }

    /// A request that failed for now waits for its retry outside the queue; if the queue is full
    /// then, it is dropped, and `takeDropped` names it so the role can tell whoever asked.
    @Test func aRetryDroppedByAFullQueueIsNamedByTakeDroppedOnce() async throws {
        let gate = Gate()
        let labeler = RecordingLabeler(ScriptedLabeler([.failed(.timeout), .labeled(.helpful)]), gate: gate)
        let annotator = try makeAnnotator(labeler) {
            $0.queueCapacity = 2
            $0.batchSize = 1
            $0.maxConcurrentBatches = 1
        }
        let requests = captions(3)
        _ = await annotator.submit([requests[0]])  // at the (held) labeler; will time out
        #expect(await annotator.submit(Array(requests[1...])).dropped == 0)  // fills the queue
        await gate.open()
        await annotator.waitUntilIdle()
        #expect(await annotator.takeDropped() == [requests[0]])
        #expect(await annotator.takeDropped().isEmpty)
        #expect(annotator.metrics["annotator/dropped"] == 1)
    }

    @Test func droppingNeverLosesStoredLabels() async throws {
        let (store, _) = try temporaryStore()
        let labeled = captions(2, prefix: "You hit the newt")
        let warmup = try makeAnnotator(LexiconLabeler(), store: store)
        _ = await warmup.submit(labeled)
        await warmup.waitUntilIdle()
        let (annotator, _, gate) = try makeHeldAnnotator(store: store, queueCapacity: 1, batchSize: 1, maxConcurrentBatches: 1)
        _ = await annotator.submit(captions(10))  // overflows the queue many times
        let receipt = await annotator.submit(labeled)
        #expect(receipt.known.count == 2)
        #expect(try store.count() == 2)
        await gate.open()
        await annotator.waitUntilIdle()
    }

    @Test func batchesNeverExceedTheBatchSize() async throws {
        let (annotator, labeler, gate) = try makeHeldAnnotator(batchSize: 4, maxConcurrentBatches: 1)
        _ = await annotator.submit([captions(1, prefix: "first")[0]])  // occupies the only slot
        _ = await annotator.submit(captions(10))
        await gate.open()
        await annotator.waitUntilIdle()
        #expect(labeler.recorded.map(\.count) == [1, 4, 4, 2])
    }

    @Test func labelerCallsInFlightAreBoundedByMaxConcurrentBatches() async throws {
        let (annotator, labeler, gate) = try makeHeldAnnotator(batchSize: 1, maxConcurrentBatches: 2)
        _ = await annotator.submit(captions(6))
        let metrics = annotator.metrics
        #expect(metrics["annotator/in_flight"] == 2)
        #expect(metrics["annotator/queue_depth"] == 4)
        await gate.open()
        await annotator.waitUntilIdle()
        #expect(labeler.askedItems.count == 6)
    }

    @Test func unusableAnswersAreRetriedThenStoredAsUnlabelable() async throws {
        let (store, _) = try temporaryStore()
        let labeler = ScriptedLabeler([.failed(.noLabel)])
        let annotator = try makeAnnotator(labeler, store: store) { $0.maxAnswerAttempts = 3 }
        let stream = await annotator.results()
        let request = LabelRequest.classify("Hello Agent, welcome to NetHack!", goal: .score)
        _ = await annotator.submit([request])
        await annotator.waitUntilIdle()
        #expect(labeler.callCount == 3)
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next()?.outcome == .failed(.unlabelable))
        let metrics = annotator.metrics
        #expect(metrics["annotator/errors/no_label"] == 3 && metrics["annotator/errors/unlabelable"] == 1)
        // A new annotator on the same store never asks again.
        let again = ScriptedLabeler([.labeled(.helpful)])
        let restarted = try makeAnnotator(again, store: store)
        let receipt = await restarted.submit([request])
        #expect(receipt.known.map(\.outcome) == [.failed(.unlabelable)])
        #expect(again.callCount == 0)
    }

    @Test func transientFailuresAreQueuedAgainUntilTheyLabel() async throws {
        let labeler = ScriptedLabeler([.failed(.serverError), .failed(.timeout), .labeled(.helpful)])
        let annotator = try makeAnnotator(labeler)
        let request = LabelRequest.classify("You kill the newt!", goal: .combat)
        _ = await annotator.submit([request])
        await annotator.waitUntilIdle()
        #expect(labeler.callCount == 3)
        #expect(await annotator.lookup([request]).first?.result?.outcome == .labeled(.helpful))
        let metrics = annotator.metrics
        #expect(metrics["annotator/errors/server_error"] == 1 && metrics["annotator/errors/timeout"] == 1 && metrics["annotator/labeled"] == 1)
    }

    @Test func transientFailuresAreGivenUpAfterTheBoundWithoutStoring() async throws {
        let (store, _) = try temporaryStore()
        let labeler = ScriptedLabeler([.failed(.transport)])
        let annotator = try makeAnnotator(labeler, store: store) { $0.maxTransientAttempts = 4 }
        _ = await annotator.submit(captions(1))
        await annotator.waitUntilIdle()
        #expect(labeler.callCount == 4)
        #expect(try store.count() == 0)
    }

    @Test func malformedAnswersAreAskedAgainButNeverStoredAsUnlabelable() async throws {
        let (store, _) = try temporaryStore()
        let labeler = ScriptedLabeler([.failed(.malformedResponse)])
        let annotator = try makeAnnotator(labeler, store: store) {
            $0.maxAnswerAttempts = 1
            $0.maxTransientAttempts = 5
        }
        let stream = await annotator.results()
        _ = await annotator.submit(captions(1))
        await annotator.waitUntilIdle()
        #expect(labeler.callCount == 5)
        #expect(try store.count() == 0)
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next()?.outcome == .failed(.malformedResponse))  // given up for now
        let metrics = annotator.metrics
        #expect(metrics["annotator/errors/malformed_response"] == 5 && metrics["annotator/errors/unlabelable"] == 0)
    }

    @Test func answersWithoutALabelAreAskedAgainSpreadOverTimeThenStoredAsUnlabelable() async throws {
        let (store, _) = try temporaryStore()
        let labeler = ScriptedLabeler([.failed(.noLabel)])
        let annotator = try makeAnnotator(labeler, store: store) {
            $0.maxAnswerAttempts = 3
            $0.retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0)
        }
        _ = await annotator.submit(captions(1))
        await annotator.waitUntilIdle()
        let times = labeler.callTimes
        #expect(times.count == 3)
        // The second ask waited the initial delay, the third twice that: never a burst.
        if times.count == 3 {
            #expect(times[1] - times[0] >= .milliseconds(100))
            #expect(times[2] - times[1] >= .milliseconds(200))
        }
        #expect(await annotator.lookup(captions(1)).first?.result?.outcome == .failed(.unlabelable))
    }

    /// A model that mostly answers without the format is said in the log, not only counted: its
    /// items end `unlabelable` for this model and prompt version, silently, before.
    @Test func mostAnswersWithoutALabelAreSaidInTheLog() async throws {
        let lines = LogLines()
        let annotator = try Annotator(labeler: ScriptedLabeler([.failed(.noLabel)]), store: temporaryStore().0,
                                      configuration: Annotator.Configuration(), logger: Logger(label: "test") { _ in lines })
        _ = await annotator.submit(captions(50))
        // The first answer to each of the 50 (their retries come later).
        #expect(await lines.waitFor(timeout: 600) { $0.hasPrefix("warning") && $0.contains("50 of the last 50 answers carried no label") },
                "\(lines.lines)")
        await annotator.shutdown()
    }

    /// An answer cut at max_tokens is published, not stored, and not asked again while this
    /// annotator runs: it would cost as much and be cut again (a restart with more tokens asks).
    @Test func aCutOffItemIsAnsweredAtOnceAfterwardsNotStoredNorAskedAgain() async throws {
        let (store, _) = try temporaryStore()
        let labeler = ScriptedLabeler([.failed(.cutOff)])
        let annotator = try makeAnnotator(labeler, store: store)
        let stream = await annotator.results()
        var iterator = stream.makeAsyncIterator()
        _ = await annotator.submit(captions(1))
        #expect(await iterator.next()?.outcome == .failed(.cutOff))
        await annotator.waitUntilIdle()
        #expect(try labeler.callCount == 1 && store.count() == 0)
        let again = await annotator.submit(captions(1))
        #expect(again.known.map(\.outcome) == [.failed(.cutOff)] && again.queued == 0)
        #expect(labeler.callCount == 1, "asked again")
        let restarted = try makeAnnotator(labeler, store: store)
        #expect(await restarted.submit(captions(1)).queued == 1, "a new annotator asks again")
    }

    @Test func itemsWaitingForTheirRetryArePendingAndDroppedFirstWhenTheQueueIsFull() async throws {
        let labeler = ScriptedLabeler([.failed(.serverError), .labeled(.helpful)])
        let annotator = try makeAnnotator(labeler) {
            $0.queueCapacity = 2
            $0.batchSize = 1
            $0.maxConcurrentBatches = 1
            $0.retryBackoff = Backoff(initial: .seconds(600), maximum: .seconds(600), jitter: 0)
        }
        let first = captions(1, prefix: "You hit the newt")
        _ = await annotator.submit(first)
        // The first call fails; the item then waits 10 minutes for its retry.
        #expect(await Poll.until { annotator.metrics["annotator/queue_depth"] == 1 })
        #expect(await annotator.lookup(first) == [.pending])
        let receipt = await annotator.submit(captions(2))
        #expect(receipt.evicted == first)
        #expect(await annotator.lookup(first) == [.unknown])
        await annotator.waitUntilIdle()
        #expect(labeler.callCount == 3)
    }

    @Test func shutdownStoresAnswersAlreadyReceivedAndCancelsTheRestAfterTheGrace() async throws {
        let (store, _) = try temporaryStore()
        let labeler = PartlyStuckLabeler()
        let annotator = try makeAnnotator(labeler, store: store) {
            $0.batchSize = 8
            $0.shutdownGrace = .zero
        }
        let stream = await annotator.results()
        let requests = captions(3) + captions(1, prefix: "You are stuck in the web")
        _ = await annotator.submit(requests)
        // The three answered items are stored while the stuck one holds the batch.
        var iterator = stream.makeAsyncIterator()
        for _ in 0..<3 { _ = await iterator.next() }
        #expect(try store.count() == 3)
        #expect(annotator.metrics["annotator/in_flight"] == 1)
        await annotator.shutdown()
        #expect(await iterator.next() == nil)  // the cancelled item is not published
        #expect(try store.count() == 3)
        #expect(annotator.metrics["annotator/errors/cancelled"] == 1)
        #expect(await annotator.submit(requests).queued == 0)
    }

    @Test func shutdownLetsAnAnswerOnItsWayArriveWithinTheGrace() async throws {
        let (store, _) = try temporaryStore()
        let labeler = PartlyStuckLabeler()
        let annotator = try makeAnnotator(labeler, store: store) { $0.shutdownGrace = .seconds(600) }
        let stuck = captions(1, prefix: "You are stuck in the web")
        _ = await annotator.submit(stuck)
        await labeler.gate.waitForArrivals(1)
        let stopping = Task { await annotator.shutdown() }
        // Once the annotator ignores new work (an empty receipt) it is stopping; then the answer arrives.
        #expect(await Poll.until { await annotator.submit(captions(1)) == Annotator.Receipt() })
        await labeler.gate.open()
        await stopping.value
        #expect(try store.lookup([LabelKey(labeler: labeler.identity, request: stuck[0])]).first?.value.outcome == .labeled(.helpful))
    }

    @Test func labelsPersistAndAreNeverAskedAgainAfterRestart() async throws {
        let (store, _) = try temporaryStore()
        let firstLabeler = RecordingLabeler()
        let first = try makeAnnotator(firstLabeler, store: store)
        _ = await first.submit(captions(5))
        await first.waitUntilIdle()
        await first.shutdown()
        #expect(firstLabeler.askedItems.count == 5)

        let reopened = try LabelStore(path: store.path)
        let secondLabeler = RecordingLabeler()
        let second = try makeAnnotator(secondLabeler, store: reopened)
        let newRequest = LabelRequest.classify("You see here 3 gold pieces.", goal: .gold)
        let receipt = await second.submit(captions(5) + [newRequest])
        #expect(receipt.known.count == 5 && receipt.queued == 1)
        await second.waitUntilIdle()
        #expect(secondLabeler.askedItems == [newRequest])
    }

    @Test func lookupReportsKnownPendingAndUnknown() async throws {
        let (annotator, _, gate) = try makeHeldAnnotator()
        let pending = captions(1)[0], unknown = LabelRequest.classify("never sent", goal: .score)
        _ = await annotator.submit([pending])
        #expect(await annotator.lookup([pending, unknown]) == [.pending, .unknown])
        await gate.open()
        await annotator.waitUntilIdle()
        guard case .known(let result) = await annotator.lookup([pending])[0] else {
            Issue.record("expected a known label")
            return
        }
        #expect(result.outcome == .labeled(.helpful))
    }

    @Test func metricsAreNamespacedUnderAnnotator() async throws {
        let annotator = try makeAnnotator(LexiconLabeler())
        _ = await annotator.submit(captions(3))
        await annotator.waitUntilIdle()
        let metrics = annotator.metrics
        #expect(metrics["annotator/labeled"] == 3)
        #expect(metrics.value("annotator/queue_depth") == 0)
        #expect(metrics.labels.allSatisfy { $0.label.hasPrefix("annotator/") })
        #expect(AnnotatorMetrics.statusLine(metrics).contains("labeled 3"))
    }

    @Test func invalidConfigurationNamesTheField() throws {
        var configuration = Annotator.Configuration()
        configuration.queueCapacity = 0
        #expect(throws: AnnotatorError.invalidConfiguration(field: "queueCapacity", reason: "must be >= 1, got 0")) {
            try configuration.validate()
        }
    }

    @Test func latencyPercentilesComeFromTheRecentSamplesWithinAThousandth() {
        var window = LatencyWindow(window: 100)
        #expect(window.percentile(0.5) == 0)
        // 1 ms … 100 ms: the 50th is 50 ms and the 99th 99 ms, to HdrHistogram's 3 significant digits.
        for ms in 1...100 { window.record(seconds: Double(ms) / 1000) }
        #expect(abs(window.percentile(0.5) - 0.050) <= 0.050 * 1e-3)
        #expect(abs(window.percentile(0.99) - 0.099) <= 0.099 * 1e-3)
        // Two windows later the old samples are gone: 100 s each now.
        for _ in 0..<200 { window.record(seconds: 100) }
        #expect(abs(window.percentile(0.01) - 100) <= 100 * 1e-3)
        // Out-of-range values are clamped, not lost.
        window.record(seconds: -1)
        window.record(seconds: .infinity)
        window.record(seconds: 1e9)
        #expect(window.percentile(1.0) <= 3600 * 1.001)
    }
}
