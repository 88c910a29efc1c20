/// A bounded set of labeled items keyed by string: inserting a new key into a full ring
/// overwrites the oldest slot; inserting an existing key replaces its item in place (the
/// latest label wins). Slots are stable, so uniform sampling is one random index.
struct KeyedRing<Item> {
    /// Most items kept.
    let capacity: Int
    private(set) var keys: [String] = []
    private(set) var items: [Item] = []
    /// Slot overwritten by the next new key once the ring is full.
    private(set) var next = 0
    private var slotOf: [String: Int] = [:]

    init(capacity: Int) {
        precondition(capacity >= 1, "KeyedRing capacity must be >= 1")
        self.capacity = capacity
    }

    var count: Int { items.count }
    func contains(_ key: String) -> Bool { slotOf[key] != nil }
    func item(for key: String) -> Item? { slotOf[key].map { items[$0] } }

    /// Inserts or replaces; returns the key and item evicted to make room, if any.
    @discardableResult
    mutating func upsert(_ key: String, _ item: Item) -> (key: String, item: Item)? {
        if let slot = slotOf[key] {
            items[slot] = item
            return nil
        }
        if items.count < capacity {
            slotOf[key] = items.count
            keys.append(key)
            items.append(item)
            return nil
        }
        let evicted = (key: keys[next], item: items[next])
        slotOf[evicted.key] = nil
        slotOf[key] = next
        keys[next] = key
        items[next] = item
        next = (next + 1) % capacity
        return evicted
    }

    /// Rebuilds a ring from saved slots (keys, items and the next slot, as saved).
    init(capacity: Int, keys: [String], items: [Item], next: Int) throws {
        guard keys.count == items.count, keys.count <= capacity, next >= 0, next < max(capacity, 1) else {
            throw RewardError.badState("ring of \(keys.count) keys, \(items.count) items, next \(next) does not fit capacity \(capacity)")
        }
        self.capacity = capacity
        self.keys = keys
        self.items = items
        self.next = next
        for (slot, key) in keys.enumerated() { slotOf[key] = slot }
        guard slotOf.count == keys.count else { throw RewardError.badState("ring has duplicate keys") }
    }
}
