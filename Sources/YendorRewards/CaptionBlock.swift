/// The captions of a T·B block of experience, as the wire `TrajectoryBatch` carries them:
/// a table of distinct strings, per step an index into it and the caption's count in the
/// episode so far (counting this step). Index `t·B + b` is step t of environment b.
public struct CaptionBlock: Sendable, Equatable {
    /// Distinct captions; index 0 is conventionally "" (no message).
    public var captions: [String]
    /// Index into `captions` of each step's caption, T·B.
    public var captionIndex: [Int32]
    /// N(caption): occurrences of that caption in the episode so far, counting this one, T·B.
    public var captionCount: [Int32]

    public init(captions: [String], captionIndex: [Int32], captionCount: [Int32]) {
        self.captions = captions
        self.captionIndex = captionIndex
        self.captionCount = captionCount
    }

    /// Number of steps (T·B).
    public var stepCount: Int { captionIndex.count }

    /// Checks sizes, indices and counts; throws naming the first bad entry.
    public func validate() throws {
        guard captionCount.count == captionIndex.count else {
            throw RewardError.badBlock("captionCount has \(captionCount.count) entries, captionIndex has \(captionIndex.count)")
        }
        if let i = captionIndex.firstIndex(where: { $0 < 0 || Int($0) >= captions.count }) {
            throw RewardError.badBlock("captionIndex[\(i)] = \(captionIndex[i]) is outside 0..<\(captions.count)")
        }
        if let i = captionCount.firstIndex(where: { $0 < 1 }) {
            throw RewardError.badBlock("captionCount[\(i)] = \(captionCount[i]) must be >= 1 (the count includes this step)")
        }
    }
}
