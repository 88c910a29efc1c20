import YendorEnvironment
import YendorWire

/// The one place received trajectories become what the learner trains on. Each trajectory is checked
/// (`TrajectoryValidator`: every shape and value the update reads, so no input stops the learner),
/// held until the held ones make up a batch, and then laid out side by side with its caption block
/// (`RolloutBatchAssembler`). The learner's receive loop checks with `check` as trajectories
/// arrive; its train loop `add`s what it samples from replay (checked again: a replay checkpoint
/// may have been written with other settings) and trains on what `build` returns.
public struct TrainingBatchBuilder: Sendable {
    /// What a trajectory must satisfy.
    public let validator: TrajectoryValidator
    /// The observation spec the policy reads.
    public let spec: ObservationSpec
    /// Samples (T·B) per training batch: `build` waits for at least this many.
    public let batchSize: Int
    /// Checked trajectories waiting for a batch, oldest first.
    public private(set) var pending: [ReceivedTrajectory] = []

    public init(validator: TrajectoryValidator, spec: ObservationSpec, batchSize: Int) {
        self.validator = validator
        self.spec = spec
        self.batchSize = batchSize
    }

    /// Throws the reason `batch` cannot be trained on (counted as `transport/frames_dropped/<reason>`).
    public func check(_ trajectory: ReceivedTrajectory) throws(TrajectoryValidator.Rejection) {
        try validator.check(trajectory)
    }

    /// Checks `trajectory` and holds it for the next training batch.
    public mutating func add(_ trajectory: ReceivedTrajectory) throws(TrajectoryValidator.Rejection) {
        try validator.check(trajectory)
        pending.append(trajectory)
    }

    /// `check` for a value (tests, and batches made in this process).
    public func check(_ batch: TrajectoryBatch) throws(TrajectoryValidator.Rejection) { try check(.value(batch)) }

    /// `add` for a value (tests, and batches made in this process).
    public mutating func add(_ batch: TrajectoryBatch) throws(TrajectoryValidator.Rejection) { try add(.value(batch)) }

    /// Samples held so far.
    public var pendingSamples: Int { pending.reduce(0) { $0 + $1.sampleCount } }

    /// The held trajectories as one batch once they hold `batchSize` samples (nil before), with
    /// its caption block; they are released either way once it is tried, so a batch that cannot be
    /// assembled (unreachable after `check`) costs those trajectories, never the run.
    public mutating func build() throws -> RolloutBatch? {
        guard pendingSamples >= batchSize else { return nil }
        defer { pending.removeAll(keepingCapacity: true) }
        return try RolloutBatchAssembler.assemble(pending, spec: spec)
    }
}
