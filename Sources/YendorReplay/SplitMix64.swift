/// A tiny seeded generator (SplitMix64). Its whole state is one integer, so a checkpoint can store
/// it and sampling after a restore continues exactly where it stopped.
struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n. Multiply-high instead of `Int.random(in:)` so the stream of picks cannot
    /// change with the standard library's algorithm.
    mutating func index(below n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in [0, 1), 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
