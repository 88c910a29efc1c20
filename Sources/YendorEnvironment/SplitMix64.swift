/// The seeded random number generator of the environments (Dungeon, NetHack seeds): SplitMix64 (Steele, Lea and Flood).
///
/// It is tiny, fast and passes BigCrush, which is all a game needs. It also derives seeds:
/// a run seed feeds one `SplitMix64` whose successive outputs are the per-env seeds, and each
/// env's own `SplitMix64` yields one seed per episode (see `VectorEnv`).
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The whole state; two generators with equal state produce equal streams.
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<n` (n > 0) by multiply-shift; the bias is below 2^-32 for game-sized n.
    @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: ((next() >> 32) &* UInt64(truncatingIfNeeded: n)) >> 32)
    }

    /// True with probability 1/n, NetHack's `!rn2(n)`.
    @inline(__always)
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    /// The sum of `count` dice with `sides` sides each, NetHack's `d(count, sides)`.
    @inline(__always)
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
