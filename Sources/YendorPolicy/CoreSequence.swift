/// How the rows of an observation batch form sequences for a recurrent core.
///
/// Rows are time-major: row t·B + b is step t of sequence b, with B = rows / timeSteps.
public struct CoreSequence: Sendable {
    /// Steps per sequence (T).
    public var timeSteps: Int
    /// Core state entering step 0, [B, coreStateSize].
    public var initialState: [Float]
    /// 1 where a new episode starts at that row (the state is zeroed before the step), T·B.
    public var episodeStarts: [UInt8]

    public init(timeSteps: Int, initialState: [Float], episodeStarts: [UInt8]) {
        self.timeSteps = timeSteps
        self.initialState = initialState
        self.episodeStarts = episodeStarts
    }
}
