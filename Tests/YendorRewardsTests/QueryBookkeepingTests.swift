import Testing
@testable import YendorRewards

@Test func unansweredQueriesAreForgottenWhenPendingOverflowsAndCanBeAskedAgain() {
    var tracker = CaptionQueryTracker(maxCandidates: 10, maxPending: 2)
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
