import Foundation
import YendorSupport

/// Queries handed to the annotator and not answered yet, oldest first, each with when it was asked.
///
/// An annotator can lose a query without a word that reaches the model: its queue full (the oldest
/// dropped), its labeler refusing, a crash, a query not sent while it was down. A query unanswered
/// for `retryAfter` seconds is therefore forgotten, so that it is asked again when seen again
/// (asking again costs nothing at the annotator: it answers from its store, or knows the query is
/// pending). Bounded: when full, the oldest is forgotten.
struct PendingQueries {
    private var queries: BoundedOrderedSet<String>
    private var askedAt: [String: Double] = [:]
    /// Seconds a query may go unanswered before it is forgotten.
    let retryAfter: Double
    /// Where the time comes from (seconds on a monotonic clock; a test gives its own).
    private let clock: @Sendable () -> Double
    /// Queries forgotten unanswered, since the start.
    private(set) var forgotten = 0

    init(capacity: Int, retryAfter: Double, clock: @escaping @Sendable () -> Double = PendingQueries.monotonicSeconds) {
        queries = BoundedOrderedSet(capacity: capacity)
        self.retryAfter = retryAfter
        self.clock = clock
    }

    static let monotonicSeconds: @Sendable () -> Double = {
        let t = ContinuousClock.now - ContinuousClock.Instant.zeroReference
        return Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
    }

    func contains(_ key: String) -> Bool { queries.contains(key) }

    /// Notes `key` as asked now; the oldest is forgotten when full.
    mutating func insert(_ key: String) {
        if let evicted = queries.insert(key) { askedAt[evicted] = nil }
        askedAt[key] = clock()
    }

    /// Removes an answered `key`; returns whether it was pending.
    @discardableResult
    mutating func remove(_ key: String) -> Bool {
        askedAt[key] = nil
        return queries.remove(key)
    }

    /// Forgets the queries asked `retryAfter` seconds ago or more; returns how many.
    @discardableResult
    mutating func expire() -> Int {
        let now = clock()
        var n = 0
        while let oldest = queries.oldest(), let at = askedAt[oldest], now - at >= retryAfter {
            queries.remove(oldest)
            askedAt[oldest] = nil
            n += 1
        }
        forgotten += n
        return n
    }
}

private extension ContinuousClock.Instant {
    /// A fixed instant of this process, so instants can be turned into seconds.
    static let zeroReference = ContinuousClock.now
}
