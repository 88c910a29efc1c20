import Dungeon
import Foundation
import Logging
import RemoteEnvironment
import Synchronization
import YendorEnvironment
import YendorPolicy
import YendorSupport
import YendorWire
import ZeroMQ

/// A Swift actor that owns a slice of environments and turns them into trajectories.
///
/// Each rollout runs `rolloutLength` steps: observations go to the shared `InferenceBatcher`, the
/// sampled actions step the environments (`any VectorEnvironment`), and everything the learner
/// needs is written straight into the columns of a `TrajectoryBatch` (`TrajectoryRecorder`; T steps × B envs, T+1 observation
/// rows), tagged with the policy version of every step, which is sent as it is.
///
/// With a recurrent policy each env also carries a core state: zero at the start of every
/// episode, advanced by each inference step, and kept across rollouts. The batch carries the
/// state entering every observation row as `obs/core_state` [T+1, B, H]; the learner unrolls
/// from row 0 (Sample Factory stores per-step states the same way).
public actor RolloutWorker {
    public struct Configuration: Sendable {
        /// The environment to host (kind, task, spec).
        public var environment: EnvironmentConfiguration
        /// Task name (the environment's).
        public var task: String { environment.task }
        /// Environments this actor steps (B).
        public var envs: Int
        /// Steps per trajectory (T).
        public var rolloutLength: Int
        /// Seed of this actor's envs (derived from the run seed by the caller).
        public var seed: UInt64
        /// Also send the full glyph map (`obs/glyphs`); the policy only needs the crop.
        public var sendFullMap: Bool { environment.writeFullMap }
        /// Observation sizes.
        public var spec: ObservationSpec { environment.spec }
        /// Worker id written into each batch.
        public var workerID: String

        public init(environment: EnvironmentConfiguration, envs: Int, rolloutLength: Int, seed: UInt64, workerID: String) {
            self.environment = environment
            self.envs = envs
            self.rolloutLength = rolloutLength
            self.seed = seed
            self.workerID = workerID
        }

        /// A Dungeon task with the given spec (the common case in tests and benchmarks).
        public init(task: String, envs: Int, rolloutLength: Int, seed: UInt64, sendFullMap: Bool = false,
                    spec: ObservationSpec = .dungeon(), workerID: String) {
            self.init(environment: EnvironmentConfiguration(kind: .dungeon, task: task, spec: spec, writeFullMap: sendFullMap),
                      envs: envs, rolloutLength: rolloutLength, seed: seed, workerID: workerID)
        }
    }

    public let configuration: Configuration
    private let env: any VectorEnvironment
    private let batcher: InferenceBatcher
    private var current: ObservationBatch
    private var recorder: TrajectoryRecorder
    /// Core state entering the next step, [B, H] (empty for a non-recurrent policy).
    private var coreState: [Float]
    /// Where remote envs step (see `RemoteVectorEnv.step(actions:on:)`).
    private let stepQueue = DispatchQueue(label: "yendor.rollout.env-step")
    /// Env steps taken so far.
    public private(set) var steps = 0
    /// The seeds of the episodes the last rollout ended, in the order of its `episodes` (what
    /// replays a Dungeon episode with its actions; `yendor evaluate --record`).
    public private(set) var episodeSeeds: [UInt64] = []
    /// Which of those episodes the env ended by raising (env servers; `yendor evaluate` counts them).
    public private(set) var episodeEndedByError: [Bool] = []
    /// Environments this actor steps (an env server decides its own count).
    public nonisolated let envCount: Int
    /// The env servers' failure counts (nil for envs hosted here), readable from any thread.
    public nonisolated let envServerFailures: (@Sendable () -> (serverFailures: Int, reopenFailures: Int, envErrors: Int))?
    /// CPU time spent in the hosted envs' `step` so far, and the env steps it took: what the game
    /// costs while training, among all of the worker's games. Nil for env servers, which step
    /// elsewhere. Readable from any thread.
    public nonisolated var envStepCost: (cpuSeconds: Double, steps: Int)? {
        envServerFailures != nil ? nil : envCost.withLock { (Double($0.nanos) / 1e9, $0.steps) }
    }
    private let envCost = Mutex<(nanos: UInt64, steps: Int)>((0, 0))

    /// Envs come from `configuration.environment`; environment servers need `context` and `logger`
    /// (`stop` ends a wait for them).
    public init(configuration: Configuration, batcher: InferenceBatcher,
                context: Context? = nil, logger: Logger? = nil, stop: StopFlag = StopFlag()) throws {
        self.configuration = configuration
        self.batcher = batcher
        // The batcher's policy must read what the configured envs write.
        guard batcher.observationSpec == configuration.spec else {
            throw RolloutError.specMismatch(environment: configuration.spec.fingerprint, policy: batcher.observationSpec.fingerprint)
        }
        let env = try configuration.environment.make(count: configuration.envs, seed: configuration.seed,
                                                     context: context, logger: logger, stop: stop)
        self.env = env
        envServerFailures = (env as? RemoteVectorEnv)?.failureReader
        envCount = env.count
        current = ObservationBatch(count: env.count, spec: batcher.observationSpec)
        recorder = TrajectoryRecorder(steps: configuration.rolloutLength, envs: env.count,
                                      spec: configuration.spec, fullMap: configuration.sendFullMap,
                                      coreStateSize: batcher.coreStateSize)
        coreState = [Float](repeating: 0, count: env.count * batcher.coreStateSize)
    }

    /// Runs one rollout of T steps and returns it as a wire batch.
    public func rollout() async throws -> TrajectoryBatch {
        let t = configuration.rolloutLength, b = env.count
        recorder.begin()
        episodeSeeds.removeAll(keepingCapacity: true)
        episodeEndedByError.removeAll(keepingCapacity: true)
        recorder.recordObservation(row: 0, env: env, coreState: coreState)
        var newestVersion: Int64 = 0
        for step in 0..<t {
            loadCurrentObservation()
            let result = try await batcher.act(current, coreState: coreState)
            newestVersion = max(newestVersion, result.policyVersion)
            if let remote = env as? RemoteVectorEnv {
                // An env server answers over the network: wait on a thread of this actor's own.
                try await RemoteVectorEnv.step(UncheckedSendable(remote), actions: result.actions, on: stepQueue)
            } else {
                // Thread CPU time: the step runs on this thread, and other work shares the cores.
                let start = ThreadCPUClock.nanos
                try result.actions.withUnsafeBufferPointer { try env.step(actions: $0) }
                let spent = ThreadCPUClock.nanos &- start
                envCost.withLock { $0.nanos &+= spent; $0.steps += b }
            }
            advanceCoreState(result.coreState)
            recorder.recordStep(step, env: env, result: result)
            for f in env.finishedEpisodes {
                episodeSeeds.append(f.seed)
                episodeEndedByError.append(!f.error.isEmpty)
            }
            recorder.recordObservation(row: step + 1, env: env, coreState: coreState)
            steps += b
        }
        return recorder.finish(workerID: configuration.workerID, task: configuration.task, policyVersion: UInt64(max(newestVersion, 0)))
    }

    /// Takes the state after the step; envs whose episode just ended start the next from zero.
    private func advanceCoreState(_ next: [Float]) {
        guard batcher.coreStateSize > 0 else { return }
        let h = batcher.coreStateSize
        coreState = next
        for e in 0..<env.count where env.done[e] != 0 || env.truncated[e] != 0 {
            for j in 0..<h { coreState[e * h + j] = 0 }
        }
    }

    /// Copies the env's current observation into the policy's input batch.
    private func loadCurrentObservation() {
        current.crop.withUnsafeMutableBufferPointer { dst in
            _ = dst.initialize(from: env.crop)
        }
        current.blstats.withUnsafeMutableBufferPointer { dst in
            _ = dst.initialize(from: env.blstats)
        }
        current.captionBytes.withUnsafeMutableBufferPointer { dst in
            _ = dst.initialize(from: env.captions)
        }
        current.captionLengths.withUnsafeMutableBufferPointer { dst in
            _ = dst.initialize(from: env.captionLength)
        }
    }
}
