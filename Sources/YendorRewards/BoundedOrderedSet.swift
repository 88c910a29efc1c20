/// A set that remembers insertion order and holds at most `capacity` elements; inserting
/// into a full set evicts the oldest element (returned to the caller).
///
/// Removal of an arbitrary element is O(1) (lazy: the order array keeps a tombstone that
/// is skipped and compacted away), so the structure suits "pending" lists where most
/// entries are answered out of order.
struct BoundedOrderedSet<Element: Hashable> {
    /// Largest number of live elements.
    let capacity: Int
    private var order: [Element] = []
    private var head = 0
    private(set) var members: Set<Element> = []

    init(capacity: Int) {
        precondition(capacity >= 1, "BoundedOrderedSet capacity must be >= 1")
        self.capacity = capacity
    }

    var count: Int { members.count }
    var isEmpty: Bool { members.isEmpty }
    func contains(_ element: Element) -> Bool { members.contains(element) }

    /// Inserts `element` (no-op if present); returns the element evicted to make room.
    @discardableResult
    mutating func insert(_ element: Element) -> Element? {
        guard !members.contains(element) else { return nil }
        var evicted: Element?
        if members.count >= capacity { evicted = popFirst() }
        members.insert(element)
        order.append(element)
        compactIfNeeded()
        return evicted
    }

    /// Removes `element` if present; returns whether it was there.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        guard members.remove(element) != nil else { return false }
        compactIfNeeded()
        return true
    }

    /// Removes and returns the oldest live element.
    mutating func popFirst() -> Element? {
        while head < order.count {
            let e = order[head]
            head += 1
            if members.remove(e) != nil { compactIfNeeded(); return e }
        }
        return nil
    }

    /// Live elements, oldest first.
    var elements: [Element] {
        var seen = Set<Element>()
        var out: [Element] = []
        for e in order[head...] where members.contains(e) && seen.insert(e).inserted { out.append(e) }
        return out
    }

    /// Keeps the order array within a constant factor of the live count.
    private mutating func compactIfNeeded() {
        let stored = order.count - head
        guard stored > 2 * max(members.count, 16) else { return }
        var seen = Set<Element>()
        order = order[head...].filter { members.contains($0) && seen.insert($0).inserted }
        head = 0
    }
}
