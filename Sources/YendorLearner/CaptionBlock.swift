/// The captions of a T·B block of experience (`RolloutBatch.captions`), as the wire `TrajectoryBatch` carries them:
/// a table of distinct strings, per step an index into it and the caption's count in the
/// episode so far (counting this step). Index `t·B + b` is step t of environment b.
public struct CaptionBlock: Sendable, Equatable {
    /// Distinct captions; index 0 is conventionally "" (no message).
    public var captions: [String]
    /// Index into `captions` of each step's caption, T·B.
    public var captionIndex: [Int32]
    /// N(caption): occurrences of that caption in the episode so far, counting this one, T·B.
    public var captionCount: [Int32]

    /// No captions (a batch built without them: every step gets zero intrinsic reward).
    public static let empty = CaptionBlock(captions: [], captionIndex: [], captionCount: [])

    public init(captions: [String], captionIndex: [Int32], captionCount: [Int32]) {
        self.captions = captions
        self.captionIndex = captionIndex
        self.captionCount = captionCount
    }

    /// Number of steps (T·B).
    public var stepCount: Int { captionIndex.count }
}
