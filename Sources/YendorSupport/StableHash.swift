/// Yendor's one stable hash: 64-bit FNV-1a over UTF-8 bytes.
///
/// Swift's `Hasher` is seeded per process, so anything that must agree across runs, restarts and
/// processes (feature buckets, the held-out split, message ids, worker seeds) uses this instead.
public enum StableHash {
    public static let offset: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// Hash of a string's bytes, continuing from `seed`.
    @inlinable
    public static func of(_ text: String, seed: UInt64 = offset) -> UInt64 {
        var h = seed
        for b in text.utf8 { h = (h ^ UInt64(b)) &* prime }
        return h
    }

    /// Mixes one more byte into `hash`.
    @inlinable
    public static func mix(_ hash: UInt64, _ byte: UInt8) -> UInt64 { (hash ^ UInt64(byte)) &* prime }

    /// A uniform-ish number in [0, 1) derived from `text` (for deterministic splits).
    public static func unit(_ text: String) -> Double {
        var z = of(text)
        // SplitMix64 finaliser: FNV's low bits are poorly mixed for short strings.
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
