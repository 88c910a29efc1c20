import Foundation
import YendorWire
import YendorSupport

/// A bounded store of trajectory batches with FIFO, uniform or prioritized sampling and a
/// samples-per-insert rate limiter, in the spirit of Reverb's tables.
///
/// Plain value type, no locking: the owner (the learner's actor, or the `yendor replay` role)
/// serialises access. Nothing here blocks; `canInsert` and `canSample` tell the caller when to wait.
///
/// Items live in a dense array so a uniform draw is one index; removal swaps the last item into
/// the hole. Insertion order is kept separately in `order`, where removed keys are skipped lazily.
public struct ReplayBuffer: Sendable {
    struct Item: Sendable, Equatable {
        var key: UInt64
        var trajectory: ReceivedTrajectory
        var priority: Double
        var timesSampled: Int
        /// T × B of the batch, cached.
        var steps: Int
    }

    /// The configuration this buffer was built with (validated).
    public let configuration: Configuration
    /// Counters and current size.
    public internal(set) var statistics = ReplayStatistics()

    var items: [Item] = []
    /// Key → index in `items`.
    var position: [UInt64: Int] = [:]
    /// Keys in insertion order from `orderHead` on; keys no longer in `position` are stale.
    var order: [UInt64] = []
    var orderHead = 0
    /// priority^alpha per index of `items`; only for the prioritized sampler.
    var tree: SumTree?
    var generator: SplitMix64
    var nextKey: UInt64 = 1
    /// Priority given to items inserted without one: the largest priority seen, so new data is
    /// sampled at least once soon (the usual prioritized-replay convention). Starts at 1.
    var maxPriority = 1.0
    /// Sum of `timesSampled` over the items held, to know how many draws they can still give.
    var timesSampledHeld = 0

    /// An empty buffer. Throws `ReplayError.invalidConfiguration` naming the bad field.
    public init(configuration: Configuration) throws {
        try configuration.validate()
        self.configuration = configuration
        generator = SplitMix64(seed: configuration.seed)
        if case .prioritized = configuration.sampler { tree = SumTree(capacity: configuration.capacity) }
    }

    /// Items held.
    public var count: Int { items.count }
    /// Env steps held (T × B summed over items).
    public var steps: Int { statistics.steps }
    /// Keys held, oldest first.
    public var keys: [UInt64] { order[orderHead...].filter { position[$0] != nil } }

    /// Whether `key` is held.
    public func contains(key: UInt64) -> Bool { position[key] != nil }
    /// The priority of the item `key`, or nil when not held.
    public func priority(of key: UInt64) -> Double? { position[key].map { items[$0].priority } }
    /// How often the item `key` has been sampled, or nil when not held.
    public func timesSampled(of key: UInt64) -> Int? { position[key].map { items[$0].timesSampled } }

    // MARK: Inserting

    /// Whether an insert of a batch with `steps` env steps (T × B; 0 to ignore the step capacity)
    /// would be accepted now: the rate limiter agrees, and the buffer has room or drops the oldest.
    public func canInsert(steps: Int = 0) -> Bool {
        if let cap = configuration.capacityInSteps, steps > cap { return false }
        guard configuration.rateLimiter.canInsert(count: 1, inserted: statistics.inserted,
                                                  sampled: statistics.sampled, size: count) else { return false }
        return configuration.fullPolicy == .dropOldest || !isFull(adding: steps)
    }

    /// `insert` for a value (tests, and batches made in this process).
    public mutating func insert(_ batch: TrajectoryBatch, priority: Double? = nil) throws -> InsertOutcome {
        try insert(.value(batch), priority: priority)
    }

    /// Stores `trajectory`, or says why not. `priority` (finite, above zero) matters to the prioritized
    /// sampler; nil means the largest priority seen so far. Throws only for an invalid priority.
    public mutating func insert(_ trajectory: ReceivedTrajectory, priority: Double? = nil) throws -> InsertOutcome {
        if let p = priority, !(p.isFinite && p > 0) { throw ReplayError.invalidPriority(key: nil, value: p) }
        let itemSteps = trajectory.sampleCount
        if let cap = configuration.capacityInSteps, itemSteps > cap {
            statistics.refusedTooLarge += 1
            return .refused(.largerThanCapacity)
        }
        guard configuration.rateLimiter.canInsert(count: 1, inserted: statistics.inserted,
                                                  sampled: statistics.sampled, size: count) else {
            statistics.refusedRateLimited += 1
            return .refused(.rateLimited)
        }
        var evicted = 0
        while isFull(adding: itemSteps) {
            switch configuration.fullPolicy {
            case .block:
                statistics.refusedFull += 1
                return .refused(.full)
            case .dropOldest:
                // Non-empty here: an empty buffer is never full for an item that passed the step check.
                remove(at: oldestIndex()!)
                statistics.evicted += 1
                evicted += 1
            }
        }
        let key = nextKey
        nextKey += 1
        let p = priority ?? maxPriority
        maxPriority = max(maxPriority, p)
        append(Item(key: key, trajectory: trajectory, priority: p, timesSampled: 0, steps: itemSteps))
        order.append(key)
        statistics.inserted += 1
        return evicted == 0 ? .inserted(key: key) : .insertedAfterEvicting(key: key, evicted: evicted)
    }

    func isFull(adding steps: Int) -> Bool {
        if items.count >= configuration.capacity { return true }
        if let cap = configuration.capacityInSteps, statistics.steps + steps > cap { return true }
        return false
    }

    // MARK: Sampling

    /// Whether `sample(count:)` would return `count` items now: the rate limiter agrees, and the
    /// items held can give `count` more draws before reaching `maxTimesSampled`.
    public func canSample(count: Int = 1) -> Bool {
        guard count >= 1, !items.isEmpty else { return false }
        guard configuration.rateLimiter.canSample(count: count, inserted: statistics.inserted,
                                                  sampled: statistics.sampled, size: items.count) else { return false }
        if let m = configuration.maxTimesSampled {
            // A huge maxTimesSampled would overflow the product: then there are draws enough.
            let (draws, overflow) = items.count.multipliedReportingOverflow(by: m)
            return overflow || draws - timesSampledHeld >= count
        }
        return true
    }

    /// Draws `count` items, all or nothing: returns [] (and counts a refused sample) when
    /// `canSample(count:)` is false. Draws are one at a time, so an item reaching
    /// `maxTimesSampled` is removed before the next draw of the same call.
    public mutating func sample(count: Int) -> [SampledItem] {
        guard count >= 1 else { return [] }
        guard canSample(count: count) else {
            statistics.refusedSamples += 1
            return []
        }
        var drawn: [SampledItem] = []
        drawn.reserveCapacity(count)
        for _ in 0..<count {
            let (index, probability, weight) = select()
            items[index].timesSampled += 1
            timesSampledHeld += 1
            statistics.sampled += 1
            let item = items[index]
            drawn.append(SampledItem(key: item.key, trajectory: item.trajectory, probability: probability,
                                     importanceWeight: weight, timesSampled: item.timesSampled))
            if let m = configuration.maxTimesSampled, item.timesSampled >= m {
                remove(at: index)
                statistics.consumed += 1
            }
        }
        return drawn
    }

    /// One draw: the index in `items`, its probability, its importance weight. Requires items.
    mutating func select() -> (Int, Double, Double) {
        switch configuration.sampler {
        case .fifo:
            return (oldestIndex()!, 1, 1)
        case .uniform:
            return (generator.below(items.count), 1 / Double(items.count), 1)
        case .prioritized(_, let beta):
            let tree = tree!
            let index = tree.leaf(atPrefix: generator.unit() * tree.total)
            let probability = tree[index] / tree.total
            // (N·P_i)^-β / max_j (N·P_j)^-β simplifies to (P_min / P_i)^β.
            let weight = beta == 0 ? 1 : pow(tree.minimum / tree[index], beta)
            return (index, probability, weight)
        }
    }

    // MARK: Priorities

    /// Sets the priorities of the listed items (finite, above zero). Keys no longer held are
    /// skipped, since items may be consumed or evicted while the learner computes priorities.
    /// Validates every value before changing anything. Returns how many items were updated.
    @discardableResult
    public mutating func updatePriorities(_ updates: [(key: UInt64, priority: Double)]) throws -> Int {
        for (key, p) in updates where !(p.isFinite && p > 0) {
            throw ReplayError.invalidPriority(key: key, value: p)
        }
        var updated = 0
        for (key, p) in updates {
            guard let index = position[key] else { continue }
            items[index].priority = p
            maxPriority = max(maxPriority, p)
            let leaf = scaled(p)
            tree?.set(index, leaf)
            updated += 1
        }
        return updated
    }

    func scaled(_ priority: Double) -> Double {
        guard case .prioritized(let alpha, _) = configuration.sampler else { return priority }
        return alpha == 1 ? priority : pow(priority, alpha)
    }

    // MARK: Storage

    mutating func append(_ item: Item) {
        position[item.key] = items.count
        let leaf = scaled(item.priority)
        tree?.set(items.count, leaf)
        statistics.steps += item.steps
        timesSampledHeld += item.timesSampled
        items.append(item)
        statistics.size = items.count
    }

    mutating func remove(at index: Int) {
        let item = items[index]
        position[item.key] = nil
        statistics.steps -= item.steps
        timesSampledHeld -= item.timesSampled
        let last = items.count - 1
        if index != last {
            items[index] = items[last]
            position[items[index].key] = index
            if let moved = tree?[last] { tree?.set(index, moved) }
        }
        items.removeLast()
        tree?.set(last, nil)
        statistics.size = items.count
        compactOrder()
    }

    /// Index of the oldest item held, skipping stale keys at the head of `order`.
    mutating func oldestIndex() -> Int? {
        while orderHead < order.count {
            if let index = position[order[orderHead]] { return index }
            orderHead += 1
        }
        return nil
    }

    /// Keeps `order` within about twice the items held, so it stays bounded even when items in
    /// the middle are consumed while an old one stays.
    mutating func compactOrder() {
        let pending = order.count - orderHead
        if pending > 2 * items.count + 64 {
            order = order[orderHead...].filter { position[$0] != nil }
            orderHead = 0
        } else if orderHead > 64, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }
}
