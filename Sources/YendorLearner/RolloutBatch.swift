import YendorEnvironment
import YendorPolicy
/// A time-major block of experience from B environments over T steps: what the learner
/// trains on. `RolloutBatchAssembler` lays received trajectories out into it.
///
/// Index `t·envCount + b` addresses step t of environment b. Observations have T+1 rows
/// per environment: row T is the observation after the last step, used only to bootstrap.
///
/// Episode ends: `dones[i] = 1` means the episode ended at step i (for any reason) and
/// observation row i+envCount already belongs to the next episode. `truncated[i] = 1`
/// means it ended by a time limit rather than a terminal state (truncated implies done;
/// a truncated flag without done is treated as done). See `VTrace` for how each is used.
public struct RolloutBatch: Sendable, Equatable {
    /// Steps per environment (T).
    public var timeSteps: Int
    /// Number of environments (B).
    public var envCount: Int
    /// (T+1)·B observations, time-major.
    public var observations: ObservationBatch
    /// Action taken at each step, T·B.
    public var actions: [Int32]
    /// log μ(a|x) of the taken action under the behaviour policy that acted, T·B.
    public var behaviourLogProbs: [Float]
    /// Environment reward for each step, T·B.
    public var extrinsicRewards: [Float]
    /// Each step's caption (the game's message) and its count in the episode so far, T·B: what
    /// the learner's `IntrinsicRewardSource` scores. Empty for a batch built without captions.
    public var captions: CaptionBlock
    /// 1 where the episode ended at this step, T·B.
    public var dones: [UInt8]
    /// 1 where the episode ended by a time limit, T·B.
    public var truncated: [UInt8]
    /// Version of the policy that chose each action, T·B.
    public var policyVersions: [Int64]
    /// Recurrent core state entering step 0 of each environment, B·coreStateSize
    /// (env-major); empty when the acting policy has no recurrent core.
    public var coreStates: [Float]

    /// A zero-filled batch of the given size (`coreStateSize` floats of state per env).
    public init(timeSteps: Int, envCount: Int, spec: ObservationSpec, coreStateSize: Int = 0) {
        self.timeSteps = timeSteps
        self.envCount = envCount
        let n = timeSteps * envCount
        observations = ObservationBatch(count: (timeSteps + 1) * envCount, spec: spec)
        actions = [Int32](repeating: 0, count: n)
        behaviourLogProbs = [Float](repeating: 0, count: n)
        extrinsicRewards = [Float](repeating: 0, count: n)
        captions = .empty
        dones = [UInt8](repeating: 0, count: n)
        truncated = [UInt8](repeating: 0, count: n)
        policyVersions = [Int64](repeating: 0, count: n)
        coreStates = [Float](repeating: 0, count: envCount * coreStateSize)
    }

    /// Number of training samples (T·B).
    public var sampleCount: Int { timeSteps * envCount }

    /// Checks sizes, action ids and finiteness; throws naming the first bad field.
    public func validate(actionCount: Int) throws {
        let n = sampleCount
        guard timeSteps >= 1, envCount >= 1 else { throw LearnerError.badBatch("timeSteps (\(timeSteps)) and envCount (\(envCount)) must be >= 1") }
        guard observations.count == (timeSteps + 1) * envCount else {
            throw LearnerError.badBatch("observations has \(observations.count) rows, expected (T+1)·B = \((timeSteps + 1) * envCount)")
        }
        let sizes: [(String, Int)] = [("actions", actions.count), ("behaviourLogProbs", behaviourLogProbs.count),
                                      ("extrinsicRewards", extrinsicRewards.count),
                                      ("dones", dones.count), ("truncated", truncated.count), ("policyVersions", policyVersions.count)]
        for (name, count) in sizes where count != n {
            throw LearnerError.badBatch("\(name) has \(count) entries, expected T·B = \(n)")
        }
        guard captions.stepCount == 0 || (captions.stepCount == n && captions.captionCount.count == n) else {
            throw LearnerError.badBatch("captions cover \(captions.stepCount) steps, expected 0 or T·B = \(n)")
        }
        if let i = actions.firstIndex(where: { $0 < 0 || Int($0) >= actionCount }) {
            throw LearnerError.badBatch("actions[\(i)] = \(actions[i]) is outside 0..<\(actionCount)")
        }
        if let i = behaviourLogProbs.firstIndex(where: { !$0.isFinite || $0 > 0 }) {
            throw LearnerError.badBatch("behaviourLogProbs[\(i)] = \(behaviourLogProbs[i]) is not a finite log-probability")
        }
        if let i = extrinsicRewards.firstIndex(where: { !$0.isFinite }) { throw LearnerError.badBatch("extrinsicRewards[\(i)] is not finite") }
        if let i = coreStates.firstIndex(where: { !$0.isFinite }) { throw LearnerError.badBatch("coreStates[\(i)] is not finite") }
        try observations.validate()
    }
}
