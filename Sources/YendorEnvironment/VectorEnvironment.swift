/// N environments of one task stepped together into caller-readable struct-of-arrays buffers.
///
/// Dungeon's `VectorEnv`, NetHack's `NetHackVectorEnv`, env servers' `RemoteVectorEnv` and the
/// environments a program registers (`EnvironmentRegistry`) implement it; a new one declares its
/// `ObservationSpec`, and rollout workers, the wire and the learner need no change.
///
/// Buffers are owned by the env and valid until the next `step` or `reset`. Per env `i`:
/// `glyphs[i*rows*columns ..< …]`, `crop[i*crop² ..< …]`, `blstats[i*blstatsCount ..< …]`,
/// `captions[i*captionBytes ..< …]` (UTF-8, `captionLength[i]` bytes used, the rest zero).
///
/// Auto-reset: when an episode ends in `step`, `reward`, `done` and `truncated` describe that last
/// step, while the observation written for that env is the first one of its next episode (and
/// `finishedEpisodes` carries the final caption). `done[i] == 1` whenever the episode ended;
/// `truncated[i] == 1` only when the step limit ended it.
///
/// Not thread-safe: one owner at a time.
public protocol VectorEnvironment: AnyObject {
    /// The shapes and ranges this env writes.
    var spec: ObservationSpec { get }
    /// Number of envs (B).
    var count: Int { get }
    /// Task name, for summaries and logs.
    var taskName: String { get }

    var glyphs: UnsafeBufferPointer<Int16> { get }
    var crop: UnsafeBufferPointer<Int16> { get }
    var blstats: UnsafeBufferPointer<Int32> { get }
    var captions: UnsafeBufferPointer<UInt8> { get }
    var captionLength: UnsafeBufferPointer<Int32> { get }
    /// N(caption): occurrences of env i's current caption in its episode so far, counting this one.
    var captionCount: UnsafeBufferPointer<Int32> { get }
    var reward: UnsafeBufferPointer<Float> { get }
    var done: UnsafeBufferPointer<UInt8> { get }
    var truncated: UnsafeBufferPointer<UInt8> { get }
    /// Episodes that ended during the last `step`.
    var finishedEpisodes: [FinishedEpisode] { get }

    /// Starts a new episode in every env.
    func reset() throws
    /// Steps every env with its action in `0..<spec.actionCount`.
    func step(actions: UnsafeBufferPointer<Int32>) throws
}

extension VectorEnvironment {
    /// The caption of env `i` as text that fits the spec's capacity (`ObservationSpec.captionText`).
    public func caption(_ i: Int) -> String {
        let start = i * spec.captionBytes
        return spec.captionText(captions[start..<(start + Int(captionLength[i]))])
    }

    /// Why `actions` cannot be stepped: not one per env, or an id outside `0..<spec.actionCount`;
    /// nil when they can. Each env family throws it as its own error.
    public func actionProblem(_ actions: UnsafeBufferPointer<Int32>) -> String? {
        guard actions.count == count else { return "expected \(count) actions, got \(actions.count)" }
        guard let i = actions.firstIndex(where: { $0 < 0 || Int($0) >= spec.actionCount }) else { return nil }
        return "action \(actions[i]) for env \(i) is outside 0..<\(spec.actionCount)"
    }

    /// Convenience for callers holding an array.
    public func step(actions: [Int32]) throws {
        try actions.withUnsafeBufferPointer { try step(actions: $0) }
    }
}
