/// An episode that ended during the last `step` of a vector environment.
public struct FinishedEpisode: Sendable, Equatable {
    /// Which env of the vector it ran in.
    public var envIndex: Int
    public var task: String
    /// Sum of rewards.
    public var episodeReturn: Float
    /// Steps taken.
    public var length: Int
    /// Whether the task's goal was met (always false for score-like tasks).
    public var success: Bool
    /// Ended by the step limit rather than by the goal or death.
    public var truncated: Bool
    /// The seed that replays this episode.
    public var seed: UInt64
    /// Deepest level reached and final in-game score, for logs.
    public var deepest: Int
    public var score: Int
    /// The caption the final step produced (the env already shows the next episode's first one).
    public var lastCaption: String = ""
    /// How often `lastCaption` had occurred in the episode, counting the final step.
    public var lastCaptionCount: Int32 = 0
    /// What the env raised when it ended the episode that way (env servers), else empty.
    public var error: String = ""

    public init(envIndex: Int, task: String, episodeReturn: Float, length: Int, success: Bool, truncated: Bool,
                seed: UInt64, deepest: Int, score: Int, lastCaption: String = "", lastCaptionCount: Int32 = 0) {
        self.envIndex = envIndex
        self.task = task
        self.episodeReturn = episodeReturn
        self.length = length
        self.success = success
        self.truncated = truncated
        self.seed = seed
        self.deepest = deepest
        self.score = score
        self.lastCaption = lastCaption
        self.lastCaptionCount = lastCaptionCount
    }
}
