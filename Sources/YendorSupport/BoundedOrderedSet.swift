import DequeModule

/// A set that remembers insertion order and holds at most `capacity` elements; inserting
/// into a full set evicts the oldest element (returned to the caller).
///
/// Removal of an arbitrary element is O(1) (lazy: the order array keeps a stale entry that
/// is skipped and compacted away), so the structure suits "pending" lists where most
/// entries are answered out of order (the reward models' queried captions, the annotator client's
/// pending items). Each insertion gets a sequence number, so an element
/// removed and inserted again counts from its new insertion, not its old one.
public struct BoundedOrderedSet<Element: Hashable> {
    /// Largest number of live elements.
    public let capacity: Int
    /// Insertion order, oldest first, with stale entries of removed elements until compaction.
    private var order: Deque<(element: Element, sequence: Int)> = []
    private var sequenceOf: [Element: Int] = [:]
    private var nextSequence = 0

    public init(capacity: Int) {
        precondition(capacity >= 1, "BoundedOrderedSet capacity must be >= 1")
        self.capacity = capacity
    }

    public var count: Int { sequenceOf.count }
    public var isEmpty: Bool { sequenceOf.isEmpty }
    public func contains(_ element: Element) -> Bool { sequenceOf[element] != nil }

    /// Inserts `element` (no-op if present); returns the element evicted to make room.
    @discardableResult
    public mutating func insert(_ element: Element) -> Element? {
        guard sequenceOf[element] == nil else { return nil }
        var evicted: Element?
        if sequenceOf.count >= capacity { evicted = popFirst() }
        nextSequence += 1
        sequenceOf[element] = nextSequence
        order.append((element, nextSequence))
        compactIfNeeded()
        return evicted
    }

    /// Removes `element` if present; returns whether it was there.
    @discardableResult
    public mutating func remove(_ element: Element) -> Bool {
        guard sequenceOf.removeValue(forKey: element) != nil else { return false }
        compactIfNeeded()
        return true
    }

    /// Removes and returns the oldest live element.
    public mutating func popFirst() -> Element? {
        while let entry = order.popFirst() {
            if isLive(entry) {
                sequenceOf[entry.element] = nil
                compactIfNeeded()
                return entry.element
            }
        }
        return nil
    }

    /// The oldest live element, left in place (stale entries ahead of it are dropped on the way, so
    /// a caller that asks often pays for each once).
    public mutating func oldest() -> Element? {
        while let entry = order.first, !isLive(entry) { order.removeFirst() }
        return order.first?.element
    }

    /// Live elements, oldest first. With no element removed since the last compaction every entry
    /// is live, and the check (a hash lookup each) is skipped: for a million labels it was 40% of
    /// the time a retrieval model took to save its state.
    public var elements: [Element] {
        order.count == sequenceOf.count ? order.map(\.element) : order.filter(isLive).map(\.element)
    }

    private func isLive(_ entry: (element: Element, sequence: Int)) -> Bool {
        sequenceOf[entry.element] == entry.sequence
    }

    /// Keeps the order array within a constant factor of the live count.
    private mutating func compactIfNeeded() {
        guard order.count > 2 * max(sequenceOf.count, 16) else { return }
        order = Deque(order.filter(isLive))
    }
}

extension BoundedOrderedSet: Sendable where Element: Sendable {}
