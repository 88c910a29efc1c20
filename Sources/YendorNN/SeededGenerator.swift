/// A small, fast, seedable random generator (SplitMix64) whose whole state is one
/// `UInt64`, so it can be checkpointed and restored exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The full generator state; saving and restoring it resumes the sequence exactly.
    public var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float uniform in [0, 1) from the top 24 bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }
}
