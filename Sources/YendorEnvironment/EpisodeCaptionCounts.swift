/// N(caption) for one env's episode: how many times each caption has been shown so far, which
/// ONI's count-scaled intrinsic reward divides by. What `VectorEnvironment.captionCount` reports.
///
/// Captions are keyed by a hash of their text (two captions whose hashes collide count as one; with
/// 64-bit hashes over the few hundred captions of an episode that is vanishingly rare). An env
/// that already hashes its captions (Dungeon's message line) passes its own key.
public struct EpisodeCaptionCounts: Sendable {
    @usableFromInline var seen: [Int: Int32] = [:]

    /// `expectedCaptions` reserves room, so a long episode does not rehash as it goes.
    public init(expectedCaptions: Int = 0) { seen.reserveCapacity(expectedCaptions) }

    /// The key of a caption's bytes (process-local: Swift seeds its hasher per process).
    /// Inlinable: NetHack and env servers call it for every env step, from other modules.
    @inlinable
    public static func key<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Int {
        var hasher = Hasher()
        for byte in bytes { hasher.combine(byte) }
        return hasher.finalize()
    }

    /// Counts one more showing of the caption keyed `key`; returns N including it.
    @inlinable
    public mutating func count(_ key: Int) -> Int32 {
        let n = seen[key, default: 0] + 1
        seen[key] = n
        return n
    }

    /// N the caption keyed `key` would have if shown once more, without counting it: an episode's
    /// last caption, read after the env has already moved on to the next episode.
    @inlinable
    public func peek(_ key: Int) -> Int32 { seen[key, default: 0] + 1 }

    /// Forgets every count: a new episode starts.
    public mutating func reset() { seen.removeAll(keepingCapacity: true) }
}
