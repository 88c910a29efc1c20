/// A trajectory as a learner holds it between arrival and training: the checked frame it arrived in
/// from another process (read in place), or the value an in-process worker handed over (never
/// encoded). Either one is read through a `TrajectoryBatchView`, so the learner's checks and its
/// batch layout are written once for both.
public enum ReceivedTrajectory: Sendable, Equatable {
    case frame(TrajectoryFrame)
    case value(TrajectoryBatch)

    public var workerID: String {
        switch self { case .frame(let f): f.workerID; case .value(let b): b.workerID }
    }
    public var task: String {
        switch self { case .frame(let f): f.task; case .value(let b): b.task }
    }
    /// The newest policy version that acted in it.
    public var policyVersion: UInt64 {
        switch self { case .frame(let f): f.policyVersion; case .value(let b): b.policyVersion }
    }
    /// T, the rollout length.
    public var steps: Int {
        switch self { case .frame(let f): f.steps; case .value(let b): b.steps }
    }
    /// B, the number of environments.
    public var envs: Int {
        switch self { case .frame(let f): f.envs; case .value(let b): b.envs }
    }
    /// Env steps it holds (T·B).
    public var sampleCount: Int { steps * envs }
    /// The bytes it holds: its frame's, or about what a value's encoding would take.
    public var byteCount: Int {
        switch self { case .frame(let f): f.storage.withUnsafeBytes { $0.count }; case .value(let b): b.encodedSizeHint }
    }
    /// Delivered again by a replay role (a reuse): its env steps and episodes were counted when it
    /// was first delivered. A value (in-process) is never a re-delivery.
    public var redelivered: Bool {
        switch self { case .frame(let f): f.redelivered; case .value: false }
    }
    /// Episodes that ended inside it.
    public var episodes: [EpisodeSummary] {
        switch self { case .frame(let f): f.episodes; case .value(let b): b.episodes }
    }

    /// Calls `body` with a view over the trajectory. Throws a `WireError` when a value's columns do
    /// not match its declared sizes (a frame was checked when it arrived).
    public func withView<R>(_ body: (TrajectoryBatchView) throws -> R) throws -> R {
        switch self {
        case .frame(let f): try f.withView(body)
        case .value(let b): try b.withView(body)
        }
    }

    /// The wire frame: a received frame as it came, a value encoded.
    public func encoded() -> [UInt8] {
        switch self {
        case .frame(let f): f.bytes
        case .value(let b): b.encoded()
        }
    }

    /// Equal when they hold the same trajectory: two values compare field by field; otherwise the
    /// frames compare (a value's encoding against the frame as it came), so a trajectory restored
    /// from a checkpoint equals the value that was stored.
    public static func == (a: ReceivedTrajectory, b: ReceivedTrajectory) -> Bool {
        switch (a, b) {
        case (.value(let x), .value(let y)): x == y
        case (.frame(let x), .frame(let y)): x == y
        default: a.encoded() == b.encoded()
        }
    }

    /// An owned `TrajectoryBatch` (a copy of a frame's arrays; a value as it is).
    public func batch() throws -> TrajectoryBatch {
        switch self {
        case .frame(let f): try f.withView { TrajectoryBatch(copying: $0) }
        case .value(let b): b
        }
    }
}
