import Synchronization
import Testing
@testable import YendorRewards

@Test func unansweredQueriesAreForgottenWhenPendingOverflowsAndCanBeAskedAgain() {
    var tracker = CaptionQueryTracker(maxCandidates: 10, maxPending: 2, retryAfter: 1e9)
    for c in ["one", "two", "three"] { tracker.noteSeen(c, labeled: false) }
    #expect(tracker.take(limit: 3, isLabeled: { _ in false }) == ["one", "two", "three"])
    // "one" fell out of the pending list, so seeing it again makes it a candidate.
    tracker.noteSeen("one", labeled: false)
    tracker.noteSeen("two", labeled: false)
    #expect(tracker.take(limit: 3, isLabeled: { _ in false }) == ["one"])
    tracker.noteLabeled("three")
    #expect(tracker.queried == 4)
    #expect(tracker.answered == 1)
    #expect(tracker.coverage == 0.25)
}

/// A query the annotator lost without a word (its queue full, its labeler refusing, a crash, a
/// query never sent while it was down) stayed pending for good, and its caption was never asked
/// again: now one unanswered for `retryAfter` seconds is forgotten and asked again when seen.
@Test func aQueryUnansweredForItsRetryTimeIsAskedAgainWhenSeenAndCountsAsNeverAsked() {
    final class FakeClock: Sendable { let now = Mutex(0.0) }
    let clock = FakeClock()
    var tracker = CaptionQueryTracker(maxCandidates: 10, maxPending: 100, retryAfter: 60, clock: { clock.now.withLock { $0 } })
    for c in ["stairs", "wall"] { tracker.noteSeen(c, labeled: false) }
    #expect(tracker.take(limit: 2, isLabeled: { _ in false }) == ["stairs", "wall"])
    clock.now.withLock { $0 = 30 }
    tracker.noteSeen("stairs", labeled: false)
    #expect(tracker.take(limit: 2, isLabeled: { _ in false }).isEmpty, "pending, not asked twice")
    tracker.noteLabeled("wall")
    clock.now.withLock { $0 = 60 }
    tracker.noteSeen("stairs", labeled: false)
    tracker.noteSeen("wall", labeled: true)
    #expect(tracker.take(limit: 2, isLabeled: { $0 == "wall" }) == ["stairs"], "asked again; the answered one not")
    #expect(tracker.retried == 1 && tracker.queried == 2 && tracker.answered == 1 && tracker.coverage == 0.5)
}

/// The same for the models themselves: with no answer, a caption (or a pair) comes back as a
/// query once its retry time has passed, and not before.
@Test(arguments: [RewardModelKind.classification, .retrieval])
func aRewardModelAsksAgainForACaptionWhoseQueryWentUnanswered(kind: RewardModelKind) throws {
    func model(retry: Float) throws -> any RewardModel {
        var c = RewardModelRegistry.Configuration()
        c.model = kind
        c.queryRetrySeconds = retry
        return try RewardModelRegistry.makeModel(c)
    }
    for (retry, again) in [(Float(1e-9), true), (1e9, false)] {
        let m = try model(retry: retry)
        m.observe(captions: ["You see here a staircase down."], captionIndex: [0])
        #expect(m.captionsWanted(limit: 4).count == 1)
        m.observe(captions: ["You see here a staircase down."], captionIndex: [0])
        #expect(m.captionsWanted(limit: 4).count == (again ? 1 : 0), "retry after \(retry) s")
        #expect(m.metrics[.queriesRetried] == (again ? 1 : 0))
    }
}
