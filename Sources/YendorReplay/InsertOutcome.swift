/// What `ReplayBuffer.insert` did.
public enum InsertOutcome: Sendable, Equatable {
    /// Stored under `key`; nothing had to go.
    case inserted(key: UInt64)
    /// Stored under `key` after evicting `evicted` oldest items (policy `.dropOldest`).
    case insertedAfterEvicting(key: UInt64, evicted: Int)
    /// Not stored; the caller still owns the batch.
    case refused(Refusal)

    /// Why an insert was refused.
    public enum Refusal: String, Sendable, Equatable {
        /// The buffer is full and its policy is `.block`: apply backpressure and retry later.
        case full
        /// The rate limiter wants more sampling first: retry when `canInsert` is true.
        case rateLimited = "rate-limited"
        /// The batch alone has more steps than `capacityInSteps`; it can never fit.
        case largerThanCapacity = "larger-than-capacity"
    }

    /// The new item's key, or nil when refused.
    public var key: UInt64? {
        switch self {
        case .inserted(let key), .insertedAfterEvicting(let key, _): return key
        case .refused: return nil
        }
    }
}
