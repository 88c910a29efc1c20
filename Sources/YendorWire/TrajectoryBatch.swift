/// A rollout of `steps` (T) steps from `envs` (B) environments, columnar and time-major.
///
/// Observations have T+1 rows: row T is the observation after the last step, for bootstrapping.
/// Every per-step column has shape [T, B]. Captions are a string table plus, per step, an index into
/// it (the caption the step produced) and the caption's occurrence count so far in the episode.
public struct TrajectoryBatch: WirePayload {
    public static let kind = MessageKind.trajectoryBatch

    /// The sending worker's id.
    public var workerID: String
    /// Task name, e.g. `staircase-lvl3`.
    public var task: String
    /// The newest policy version used in this batch (per-step versions are in `policyVersions`).
    public var policyVersion: UInt64
    /// T, the rollout length.
    public var steps: Int
    /// B, the number of environments.
    public var envs: Int
    /// Named observation arrays, each shaped [T+1, B, ...].
    public var observations: [NamedArray]
    /// Action taken, [T, B].
    public var actions: [Int32]
    /// Behaviour policy's log-probability of the action taken, [T, B].
    public var behaviourLogProbs: [Float]
    /// Optional full behaviour logits, [T, B, A]; sent when `actionCount` > 0.
    public var behaviourLogits: [Float]
    /// Number of actions A when `behaviourLogits` is present, else 0.
    public var actionCount: Int
    /// Behaviour policy's value estimate, [T, B].
    public var values: [Float]
    /// Extrinsic (task) reward, [T, B].
    public var rewards: [Float]
    /// 1 where the episode ended at this step for any reason (goal, death or step limit), [T, B].
    public var dones: [UInt8]
    /// 1 where the step limit ended it (implies `dones`), [T, B].
    public var truncated: [UInt8]
    /// Worker-local env ids, [B].
    public var envIDs: [Int32]
    /// Policy version that chose each action, [T, B].
    public var policyVersions: [Int32]
    /// Distinct captions in this batch; index 0 is conventionally "" (no message).
    public var captions: [String]
    /// Index into `captions` of the caption each step produced, [T, B].
    public var captionIndex: [Int32]
    /// Occurrences of that caption in the episode so far, counting this one, [T, B].
    public var captionCount: [Int32]
    /// Episodes that ended inside this batch.
    public var episodes: [EpisodeSummary]

    public init(workerID: String, task: String, policyVersion: UInt64, steps: Int, envs: Int,
                observations: [NamedArray], actions: [Int32], behaviourLogProbs: [Float],
                behaviourLogits: [Float] = [], actionCount: Int = 0, values: [Float], rewards: [Float],
                dones: [UInt8], truncated: [UInt8], envIDs: [Int32], policyVersions: [Int32],
                captions: [String], captionIndex: [Int32], captionCount: [Int32], episodes: [EpisodeSummary]) {
        self.workerID = workerID
        self.task = task
        self.policyVersion = policyVersion
        self.steps = steps
        self.envs = envs
        self.observations = observations
        self.actions = actions
        self.behaviourLogProbs = behaviourLogProbs
        self.behaviourLogits = behaviourLogits
        self.actionCount = actionCount
        self.values = values
        self.rewards = rewards
        self.dones = dones
        self.truncated = truncated
        self.envIDs = envIDs
        self.policyVersions = policyVersions
        self.captions = captions
        self.captionIndex = captionIndex
        self.captionCount = captionCount
        self.episodes = episodes
    }

    /// The observation array with this name.
    public func observation(_ name: String) -> NamedArray? { observations.first { $0.name == name } }

    /// The caption step `t` of env `b` produced.
    public func caption(step t: Int, env b: Int) -> String { captions[Int(captionIndex[t * envs + b])] }

    public var encodedSizeHint: Int {
        let perStep = steps * envs * (4 * 7 + 2) + behaviourLogits.count * 4
        return 1024 + perStep + observations.reduce(0) { $0 + $1.bytes.count + 64 }
            + captions.reduce(0) { $0 + $1.utf8.count + 4 } + episodes.count * 16
    }

    static let obsPrefix = "obs/"

    public func encode(into w: inout ByteWriter) {
        let tb = [steps, envs]
        w.write(workerID)
        w.write(task)
        w.write(policyVersion)
        w.write(UInt32(steps))
        w.write(UInt32(envs))
        let arrayCount = 14 + observations.count + (actionCount > 0 ? 1 : 0)
        w.write(UInt32(arrayCount))
        for o in observations {
            o.bytes.withUnsafeBytes { w.writeArray(name: Self.obsPrefix + o.name, dtype: o.dtype, shape: o.shape, data: $0) }
        }
        w.writeArray(name: "actions", shape: tb, values: actions)
        w.writeArray(name: "behaviour_logp", shape: tb, values: behaviourLogProbs)
        if actionCount > 0 {
            w.writeArray(name: "behaviour_logits", shape: [steps, envs, actionCount], values: behaviourLogits)
        }
        w.writeArray(name: "values", shape: tb, values: values)
        w.writeArray(name: "rewards", shape: tb, values: rewards)
        w.writeArray(name: "dones", shape: tb, values: dones)
        w.writeArray(name: "truncated", shape: tb, values: truncated)
        w.writeArray(name: "env_ids", shape: [envs], values: envIDs)
        w.writeArray(name: "policy_versions", shape: tb, values: policyVersions)
        w.writeArray(name: "caption_index", shape: tb, values: captionIndex)
        w.writeArray(name: "caption_count", shape: tb, values: captionCount)
        let e = [episodes.count]
        w.writeArray(name: "episode/env", shape: e, values: episodes.map(\.env))
        w.writeArray(name: "episode/return", shape: e, values: episodes.map(\.episodeReturn))
        w.writeArray(name: "episode/length", shape: e, values: episodes.map(\.length))
        w.writeArray(name: "episode/success", shape: e, values: episodes.map { $0.success ? UInt8(1) : 0 })
        w.writeList(captions) { w, c in w.write(c) }
    }

    public init(from r: inout ByteReader) throws {
        self.init(copying: try TrajectoryBatchView(reading: &r))
    }

    /// An owned copy of everything a view shows.
    public init(copying view: TrajectoryBatchView) {
        let episodeEnv = view.episodeEnvArray.ownedValues(as: Int32.self)
        let episodeReturn = view.episodeReturnArray.ownedValues(as: Float.self)
        let episodeLength = view.episodeLengthArray.ownedValues(as: Int32.self)
        let episodeSuccess = view.episodeSuccessArray.ownedValues(as: UInt8.self)
        self.init(
            workerID: view.workerID, task: view.task, policyVersion: view.policyVersion,
            steps: view.steps, envs: view.envs,
            observations: view.observations.map { $0.copy() },
            actions: view.actionsArray.ownedValues(as: Int32.self),
            behaviourLogProbs: view.logProbsArray.ownedValues(as: Float.self),
            behaviourLogits: view.logitsArray?.ownedValues(as: Float.self) ?? [],
            actionCount: view.actionCount,
            values: view.valuesArray.ownedValues(as: Float.self),
            rewards: view.rewardsArray.ownedValues(as: Float.self),
            dones: view.donesArray.ownedValues(as: UInt8.self),
            truncated: view.truncatedArray.ownedValues(as: UInt8.self),
            envIDs: view.envIDsArray.ownedValues(as: Int32.self),
            policyVersions: view.policyVersionsArray.ownedValues(as: Int32.self),
            captions: view.captions,
            captionIndex: view.captionIndexArray.ownedValues(as: Int32.self),
            captionCount: view.captionCountArray.ownedValues(as: Int32.self),
            episodes: episodeEnv.indices.map {
                EpisodeSummary(env: episodeEnv[$0], episodeReturn: episodeReturn[$0], length: episodeLength[$0],
                               success: episodeSuccess[$0] != 0)
            })
    }
}

/// How one episode ended.
public struct EpisodeSummary: Sendable, Equatable {
    /// Worker-local env id.
    public var env: Int32
    /// Sum of extrinsic rewards.
    public var episodeReturn: Float
    /// Steps taken.
    public var length: Int32
    /// Whether the task's goal was reached.
    public var success: Bool

    public init(env: Int32, episodeReturn: Float, length: Int32, success: Bool) {
        self.env = env
        self.episodeReturn = episodeReturn
        self.length = length
        self.success = success
    }
}
