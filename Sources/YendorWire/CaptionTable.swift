/// Distinct captions in first-seen order, each with its index: the caption table a worker builds for
/// a `TrajectoryBatch` (index 0 is "" by convention) and the one a learner builds for a batch's
/// caption block.
public struct CaptionTable: Sendable {
    public private(set) var strings: [String] = []
    private var index: [String: Int32] = [:]

    /// A table that starts with `first`, in order (e.g. `[""]`).
    public init(startingWith first: [String] = []) { reset(startingWith: first) }

    /// Empties the table, keeping its storage, and starts it again with `first`.
    public mutating func reset(startingWith first: [String] = []) {
        strings.removeAll(keepingCapacity: true)
        index.removeAll(keepingCapacity: true)
        for s in first { _ = intern(s) }
    }

    /// The index of `s`, added at the end when new.
    public mutating func intern(_ s: String) -> Int32 {
        if let i = index[s] { return i }
        let i = Int32(strings.count)
        strings.append(s)
        index[s] = i
        return i
    }
}
