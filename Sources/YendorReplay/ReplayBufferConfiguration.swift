extension ReplayBuffer {
    /// What the buffer does when an insert would exceed its capacity.
    public enum FullPolicy: String, Sendable, Equatable, CaseIterable {
        /// Refuse the insert (`InsertOutcome.refused(.full)`); the caller holds the data and
        /// applies backpressure to its sender until `canInsert` is true again.
        case block
        /// Evict the oldest items until the new one fits, and count them in `evicted`.
        case dropOldest = "drop-oldest"
    }

    /// How `sample(count:)` picks items.
    public enum Sampler: Sendable, Equatable {
        /// Oldest first. With `maxTimesSampled` = 1 each item is handed out exactly once (APPO).
        case fifo
        /// Each draw picks any item with equal probability (with replacement within a call).
        case uniform
        /// Each draw picks item i with probability p_i^alpha / Σ p^alpha and reports the importance
        /// weight (p_min / p_i)^beta (in probability terms), which is 1 for the least likely item
        /// (Schaul et al., prioritized experience replay).
        case prioritized(alpha: Double, beta: Double)

        /// A sampler's name, as a run configures it (`replay.sampler`); the exponents come separately.
        public enum Kind: String, Sendable, CaseIterable {
            case fifo, uniform, prioritized
        }

        /// The sampler of this kind; `alpha` and `beta` are used by `prioritized` only.
        public init(_ kind: Kind, alpha: Double, beta: Double) {
            switch kind {
            case .fifo: self = .fifo
            case .uniform: self = .uniform
            case .prioritized: self = .prioritized(alpha: alpha, beta: beta)
            }
        }
    }

    /// Everything that shapes a buffer. `validate()` checks it; the buffer's initializer calls it.
    public struct Configuration: Sendable, Equatable {
        /// Most items (trajectory batches) held at once. Default 1,024.
        public var capacity: Int
        /// Most env steps held at once, counting T × B per batch; nil bounds items only. Default nil.
        public var capacityInSteps: Int?
        /// What an insert does when the buffer is full. Default `.block`.
        public var fullPolicy: FullPolicy
        /// How items are picked. Default `.fifo`.
        public var sampler: Sampler
        /// An item is removed once it has been sampled this many times; nil keeps items until they
        /// are evicted. `.fifo` needs a value (else the oldest item would be returned forever).
        /// Default 1.
        public var maxTimesSampled: Int?
        /// Ratio of samples to inserts, and the size before sampling starts. Default `.unlimited`.
        public var rateLimiter: RateLimiter
        /// Seed of the sampling generator. Default 0.
        public var seed: UInt64

        public init(capacity: Int = 1024, capacityInSteps: Int? = nil, fullPolicy: FullPolicy = .block,
                    sampler: Sampler = .fifo, maxTimesSampled: Int? = 1,
                    rateLimiter: RateLimiter = .unlimited, seed: UInt64 = 0) {
            self.capacity = capacity
            self.capacityInSteps = capacityInSteps
            self.fullPolicy = fullPolicy
            self.sampler = sampler
            self.maxTimesSampled = maxTimesSampled
            self.rateLimiter = rateLimiter
            self.seed = seed
        }

        /// Largest capacity accepted; the prioritized sampler allocates two arrays of about twice this.
        public static let maxCapacity = 1 << 24

        /// Throws `ReplayError.invalidConfiguration` naming the first bad field.
        public func validate() throws {
            guard capacity >= 1, capacity <= Self.maxCapacity else {
                throw ReplayError.invalidConfiguration(field: "capacity",
                                                       reason: "is \(capacity), must be in 1...\(Self.maxCapacity)")
            }
            if let s = capacityInSteps, s < 1 {
                throw ReplayError.invalidConfiguration(field: "capacityInSteps", reason: "is \(s), must be at least 1 or absent")
            }
            if let m = maxTimesSampled, m < 1 {
                throw ReplayError.invalidConfiguration(field: "maxTimesSampled", reason: "is \(m), must be at least 1 or absent")
            }
            switch sampler {
            case .fifo:
                if maxTimesSampled == nil {
                    throw ReplayError.invalidConfiguration(
                        field: "maxTimesSampled",
                        reason: "must be set with the fifo sampler, or the oldest item would be returned forever")
                }
            case .uniform:
                break
            case .prioritized(let alpha, let beta):
                guard alpha.isFinite, alpha >= 0 else {
                    throw ReplayError.invalidConfiguration(field: "sampler.alpha", reason: "is \(alpha), must be finite and at least 0")
                }
                guard beta.isFinite, beta >= 0 else {
                    throw ReplayError.invalidConfiguration(field: "sampler.beta", reason: "is \(beta), must be finite and at least 0")
                }
            }
            try rateLimiter.validate(prefix: "rateLimiter")
            if rateLimiter.minSizeToSample > capacity {
                throw ReplayError.invalidConfiguration(
                    field: "rateLimiter.minSizeToSample",
                    reason: "is \(rateLimiter.minSizeToSample), more than capacity \(capacity), so sampling could never start")
            }
        }
    }
}
