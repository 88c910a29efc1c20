import YendorSupport

/// The most recent `capacity` values of a stream (a ring), and their quantiles.
public struct RecentValues: Sendable, Equatable {
    /// Most values kept; older ones are overwritten.
    public let capacity: Int
    /// The kept values, in ring order (not chronological once full).
    public private(set) var values: [Float] = []
    /// Slot the next value overwrites once the ring is full.
    public private(set) var next = 0

    public init(capacity: Int) {
        precondition(capacity >= 1, "RecentValues capacity must be >= 1")
        self.capacity = capacity
    }

    /// Restores a saved ring.
    init(capacity: Int, values: [Float], next: Int) throws {
        guard values.count <= capacity, next >= 0, next < capacity else {
            throw RewardError.badState("recent values: \(values.count) values, next \(next), capacity \(capacity)")
        }
        self.capacity = capacity
        self.values = values
        self.next = next
    }

    public mutating func append(_ value: Float) {
        if values.count < capacity {
            values.append(value)
        } else {
            values[next] = value
            next = (next + 1) % capacity
        }
    }

    /// The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics:
    /// position q·(n−1) in the sorted values. Nil when empty.
    public func quantile(_ q: Float) -> Float? { Quantile.of(values, Double(q)) }
}
