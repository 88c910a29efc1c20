/// A fixed-capacity double-ended queue. Pushing onto a full buffer at the back evicts the
/// front (oldest) element and returns it, which is the annotator's "keep the newest" policy.
struct RingBuffer<Element> {
    private var storage: [Element?]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0, "RingBuffer capacity must be positive")
        storage = Array(repeating: nil, count: capacity)
    }

    var capacity: Int { storage.count }
    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == storage.count }

    /// Appends at the back; when full, first removes and returns the front element.
    mutating func pushBack(_ element: Element) -> Element? {
        var evicted: Element?
        if isFull { evicted = popFront() }
        storage[(head + count) % storage.count] = element
        count += 1
        return evicted
    }

    /// Inserts at the front; returns false (and drops nothing) when full.
    mutating func pushFront(_ element: Element) -> Bool {
        guard !isFull else { return false }
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        count += 1
        return true
    }

    mutating func popFront() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    /// Elements from front (oldest) to back (newest).
    var elements: [Element] { (0..<count).map { storage[(head + $0) % storage.count]! } }
}
