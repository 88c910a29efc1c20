/// A received `TrajectoryBatch` kept as the frame it arrived in (the socket's own message buffer),
/// checked once on arrival and read in place through `TrajectoryBatchView` afterwards: nothing of its
/// arrays is copied until the learner lays the trajectory into its training batch. The header is
/// read once, for the bookkeeping that needs no view (membership, replay accounting, the lag check).
public struct TrajectoryFrame: Sendable, Equatable {
    /// The whole frame, envelope included.
    public let storage: any FrameBytes
    public let workerID: String
    public let task: String
    public let policyVersion: UInt64
    /// T, the rollout length.
    public let steps: Int
    /// B, the number of environments.
    public let envs: Int
    /// Episodes that ended inside the trajectory (a handful; copied out for the learner's metrics).
    public let episodes: [EpisodeSummary]
    /// A replay role's reuse of a trajectory it delivered before (`Envelope.Flags.redelivered`).
    public let redelivered: Bool
    private let limits: WireLimits

    /// Checks `bytes` completely (everything `TrajectoryBatch.decode` checks) and keeps them.
    public init(checking storage: any FrameBytes, limits: WireLimits = .default) throws {
        let header = try storage.withUnsafeBytes { frame in
            try TrajectoryBatchView.withView(of: frame, limits: limits) { v in
                (v.workerID, v.task, v.policyVersion, v.steps, v.envs, (0..<v.episodeCount).map(v.episode))
            }
        }
        (workerID, task, policyVersion, steps, envs, episodes) = header
        redelivered = storage.withUnsafeBytes { Envelope.flags(of: $0).contains(.redelivered) }
        self.storage = storage
        self.limits = limits
    }

    /// A copy of the frame's bytes (what a replay checkpoint writes back out).
    public var bytes: [UInt8] { storage.withUnsafeBytes { Array($0) } }

    /// Frames are equal when their bytes are.
    public static func == (a: TrajectoryFrame, b: TrajectoryFrame) -> Bool {
        a.storage.withUnsafeBytes { x in b.storage.withUnsafeBytes { y in x.elementsEqual(y) } }
    }

    /// Calls `body` with a view over the frame (checked again: the envelope's CRC and every count, a
    /// cost of the order of one pass over the bytes, without a copy of them).
    public func withView<R>(_ body: (TrajectoryBatchView) throws -> R) throws -> R {
        try storage.withUnsafeBytes { try TrajectoryBatchView.withView(of: $0, limits: limits, body) }
    }
}

/// Bytes a received frame lives in: an array, or a transport's own message buffer (ZeroMQ's), kept
/// without a copy.
public protocol FrameBytes: Sendable {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: FrameBytes where Element == UInt8 {}
