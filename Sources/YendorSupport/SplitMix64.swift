/// Yendor's one seeded random number generator: SplitMix64 (Steele, Lea and Flood). Environments
/// (Dungeon, NetHack seeds), weight initialisation, replay sampling, simulated labels and retry
/// jitter all draw from it, so a seed reproduces a run.
///
/// It is tiny, fast and passes BigCrush. Its whole state is one integer, so a checkpoint stores it
/// and a restored generator continues exactly where it stopped. It also derives seeds: a run seed
/// feeds one `SplitMix64` whose successive outputs are the per-env seeds, and each env's own
/// `SplitMix64` yields one seed per episode (see `VectorEnv`).
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The whole state; two generators with equal state produce equal streams.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    // Inlinable: environments draw in their step loops, in other modules.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<n` (n > 0) by multiply-shift; the bias is below 2^-32 for game-sized n.
    @inlinable
    public mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: ((next() >> 32) &* UInt64(truncatingIfNeeded: n)) >> 32)
    }

    /// A uniform draw in [0, 1), 53 random bits.
    @inlinable
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A float uniform in [0, 1) from the top 24 bits.
    @inlinable
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// True with probability 1/n, NetHack's `!rn2(n)`.
    @inlinable
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    /// The sum of `count` dice with `sides` sides each, NetHack's `d(count, sides)`.
    @inlinable
    public mutating func dice(_ count: Int, _ sides: Int) -> Int {
        var total = 0
        for _ in 0..<count { total += 1 + below(sides) }
        return total
    }

    /// A well-mixed seed derived from `seed` and `index`, so that neighbouring indices give unrelated streams.
    public static func derive(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        var generator = SplitMix64(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03))
        _ = generator.next()
        return generator.next()
    }
}
