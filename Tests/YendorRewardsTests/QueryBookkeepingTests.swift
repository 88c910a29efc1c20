import Testing
@testable import YendorRewards

@Test func boundedOrderedSetEvictsTheOldestAndCountsReinsertionsAsNew() {
    var set = BoundedOrderedSet<String>(capacity: 3)
    for e in ["a", "b", "c"] { set.insert(e) }
    set.remove("a")
    set.insert("a")
    // "a" now counts from its second insertion: "b" is the oldest.
    #expect(set.insert("d") == "b")
    #expect(set.elements == ["c", "a", "d"])
    // Churn with room to spare (stale entries are compacted away) keeps the live order.
    var roomy = BoundedOrderedSet<String>(capacity: 10)
    for e in ["p", "q", "r"] { roomy.insert(e) }
    for i in 0..<100 { roomy.insert("x\(i)"); roomy.remove("x\(i)") }
    #expect(roomy.elements == ["p", "q", "r"])
    #expect(roomy.count == 3)
}

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
