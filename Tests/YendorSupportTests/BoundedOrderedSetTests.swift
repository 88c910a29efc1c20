import Testing
import YendorSupport

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
    // Only evictions, no stale entry: the order as it stands.
    var evicting = BoundedOrderedSet<String>(capacity: 2)
    for e in ["a", "b", "c"] { evicting.insert(e) }
    #expect(evicting.elements == ["b", "c"])
}

@Test func theOldestLiveElementPassesOverRemovedOnesAndStaysInTheSet() {
    var set = BoundedOrderedSet<String>(capacity: 5)
    for e in ["a", "b", "c"] { set.insert(e) }
    set.remove("a")
    set.remove("b")
    #expect(set.oldest() == "c")
    #expect(set.elements == ["c"] && set.count == 1)
    set.remove("c")
    #expect(set.oldest() == nil)
    set.insert("b")  // inserted again: counts from now
    #expect(set.oldest() == "b")
}
