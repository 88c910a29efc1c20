import Foundation
import Logging
import Testing
import YendorTestSupport
@testable import YendorAnnotator

/// A label store that refuses labels (SQLite's `SQLITE_FULL`, "database or disk is full", from a
/// size cap on the real database): the answers, paid for, wait in memory and reach the store when
/// it takes them again; only beyond the capacity, or still refused at shutdown, are they lost, and
/// then counted and said.
@Suite("A label store that fills up")
struct FullLabelStoreTests {
    /// Labels every item with a 5,000-character answer, so that every save needs new pages (a
    /// store capped at its size takes small rows into the free space of the pages it has).
    final class LongAnswerLabeler: Labeler {
        let identity = LabelerIdentity(backend: "long", model: "test", promptVersion: "1")
        func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
            requests.map { _ in LabelerAnswer(outcome: .labeled(.helpful), rawResponse: String(repeating: "helpful ", count: 625), latency: .milliseconds(1)) }
        }
    }

    static func annotator(_ labeler: any Labeler, store: LabelStore, log: LogLines,
                          configure: (inout Annotator.Configuration) -> Void = { _ in }) throws -> Annotator {
        var c = Annotator.Configuration()
        c.storeRetryInterval = .milliseconds(50)
        configure(&c)
        return try Annotator(labeler: labeler, store: store, configuration: c, logger: Logger(label: "test") { _ in log })
    }

    @Test func labelsTheStoreRefusesWaitInMemoryAndAreStoredOnceItTakesThemAgain() async throws {
        let (store, _) = try temporaryStore()
        try store.limitSize(toPages: try store.pageCount())
        let labeler = RecordingLabeler(LongAnswerLabeler()), log = LogLines()
        let annotator = try Self.annotator(labeler, store: store, log: log)
        let requests = captions(20)
        _ = await annotator.submit(requests)
        await annotator.waitUntilIdle()
        #expect(try store.count() == 0, "the store is full")
        #expect(annotator.metrics["annotator/unstored"] == 20)
        #expect(annotator.metrics["annotator/errors/store"] >= 1)
        #expect(log.lines.contains { $0.hasPrefix("error") && $0.contains("database or disk is full") && $0.contains("labels wait in memory (at most 100000)") },
                "\(log.lines.suffix(5))")
        // Answered from memory, not asked again (an LLM's answers would be paid for twice).
        let again = await annotator.submit(requests)
        #expect(again.known.count == 20 && again.queued == 0)
        #expect(labeler.askedItems.count == 20)

        try store.limitSize(toPages: nil)
        #expect(await Poll.until(timeout: 600) { (try? store.count()) == 20 }, "stored by a retry, with no new answer")
        #expect(await Poll.until(timeout: 600) { annotator.metrics["annotator/unstored"] == 0 })
        #expect(annotator.metrics["annotator/labels_lost"] == 0)
        #expect(log.lines.contains { $0.contains("the label store takes labels again: the 20 that waited in memory are stored") })
        await annotator.shutdown()
    }

    @Test func beyondTheCapacityTheOldestAreLostAndCounted() async throws {
        let (store, _) = try temporaryStore()
        try store.limitSize(toPages: try store.pageCount())
        let log = LogLines()
        let annotator = try Self.annotator(RecordingLabeler(LongAnswerLabeler()), store: store, log: log) { $0.unstoredCapacity = 6; $0.batchSize = 1 }
        _ = await annotator.submit(captions(10))
        await annotator.waitUntilIdle()
        #expect(annotator.metrics["annotator/unstored"] == 6)
        #expect(annotator.metrics["annotator/labels_lost"] == 4)
        // Still refused at shutdown: the rest are lost too, and said.
        await annotator.shutdown()
        #expect(annotator.metrics["annotator/labels_lost"] == 10)
        #expect(annotator.metrics["annotator/unstored"] == 0)
        #expect(log.lines.contains { $0.hasPrefix("error") && $0.contains("6 labels are lost: the label store still refused them at shutdown") },
                "\(log.lines.suffix(5))")
        #expect(try store.count() == 0)
    }

    @Test func labelsThatWaitAreStoredAtShutdownWhenTheStoreTakesThemThen() async throws {
        let (store, _) = try temporaryStore()
        try store.limitSize(toPages: try store.pageCount())
        let annotator = try Self.annotator(RecordingLabeler(LongAnswerLabeler()), store: store, log: LogLines()) { $0.storeRetryInterval = .seconds(3600) }
        _ = await annotator.submit(captions(5))
        await annotator.waitUntilIdle()
        #expect(try store.count() == 0)
        try store.limitSize(toPages: nil)
        await annotator.shutdown()
        #expect(try store.count() == 5)
        #expect(annotator.metrics["annotator/labels_lost"] == 0)
    }
}
