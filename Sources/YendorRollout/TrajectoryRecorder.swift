import YendorEnvironment
import YendorWire

/// Records one rollout (T steps × B envs, T+1 observation rows) straight into the columns of the
/// `TrajectoryBatch` it becomes: the one T·B column type a worker sends and a learner reads (through
/// a `TrajectoryBatchView`), so each value is written once and the finished rollout is handed over
/// as it is. Every rollout gets fresh columns, since the previous batch travels on as a value.
struct TrajectoryRecorder {
    let steps: Int, envs: Int
    let spec: ObservationSpec
    /// Whether `obs/glyphs` (the whole map) is sent besides the crop.
    let fullMap: Bool
    /// Floats of recurrent core state per env (0: no `obs/core_state` array).
    let coreStateSize: Int

    /// The rollout being recorded.
    private var batch: TrajectoryBatch
    private var captions = CaptionTable(startingWith: [""])
    /// Where each observation array sits in `batch.observations` (the order it has on the wire).
    private static let crop = 0, blstats = 1, captionIndex = 2
    private var coreStateArray: Int? { coreStateSize > 0 ? 3 : nil }
    private var glyphsArray: Int? { fullMap ? (coreStateSize > 0 ? 4 : 3) : nil }

    init(steps: Int, envs: Int, spec: ObservationSpec, fullMap: Bool, coreStateSize: Int = 0) {
        self.steps = steps
        self.envs = envs
        self.spec = spec
        self.fullMap = fullMap
        self.coreStateSize = coreStateSize
        batch = Self.emptyBatch(steps: steps, envs: envs, spec: spec, fullMap: fullMap, coreStateSize: coreStateSize)
    }

    /// Zeroed columns for one rollout: `obs/crop`, `obs/blstats`, `obs/caption_index`, then
    /// `obs/core_state` and `obs/glyphs` when recorded.
    private static func emptyBatch(steps: Int, envs: Int, spec: ObservationSpec, fullMap: Bool, coreStateSize: Int) -> TrajectoryBatch {
        let rows = steps + 1, n = steps * envs
        func zeros(_ name: String, _ dtype: DType, _ shape: [Int]) -> NamedArray {
            NamedArray(name: name, dtype: dtype, shape: shape, bytes: [UInt8](repeating: 0, count: shape.reduce(1, *) * dtype.size))
        }
        var observations = [
            zeros("crop", .i16, [rows, envs, spec.cropSize, spec.cropSize]),
            zeros("blstats", .i32, [rows, envs, spec.blstatsCount]),
            zeros("caption_index", .i32, [rows, envs]),
        ]
        if coreStateSize > 0 { observations.append(zeros("core_state", .f32, [rows, envs, coreStateSize])) }
        if fullMap { observations.append(zeros("glyphs", .i16, [rows, envs, spec.mapRows, spec.mapColumns])) }
        return TrajectoryBatch(
            workerID: "", task: "", policyVersion: 0, steps: steps, envs: envs, observations: observations,
            actions: [Int32](repeating: 0, count: n), behaviourLogProbs: [Float](repeating: 0, count: n),
            values: [Float](repeating: 0, count: n), rewards: [Float](repeating: 0, count: n),
            dones: [UInt8](repeating: 0, count: n), truncated: [UInt8](repeating: 0, count: n),
            envIDs: (0..<envs).map(Int32.init), policyVersions: [Int32](repeating: 0, count: n), captions: [""],
            captionIndex: [Int32](repeating: 0, count: n), captionCount: [Int32](repeating: 0, count: n), episodes: [])
    }

    /// Starts a rollout: forgets the episodes and captions of one that did not finish (a rollout
    /// that threw), so they are never sent twice. Every column is written again by the rollout.
    mutating func begin() {
        batch.episodes.removeAll(keepingCapacity: true)
        captions.reset(startingWith: [""])
    }

    /// Copies the env's observation, and the core state entering that row, into row `row`.
    mutating func recordObservation(row: Int, env: any VectorEnvironment, coreState: [Float] = []) {
        copy(UnsafeRawBufferPointer(env.crop), into: Self.crop, row: row)
        copy(UnsafeRawBufferPointer(env.blstats), into: Self.blstats, row: row)
        if let glyphs = glyphsArray { copy(UnsafeRawBufferPointer(env.glyphs), into: glyphs, row: row) }
        for e in 0..<envs {
            let id = captions.intern(env: env, index: e)
            batch.observations[Self.captionIndex].bytes.withUnsafeMutableBytes {
                $0.storeBytes(of: id.littleEndian, toByteOffset: 4 * (row * envs + e), as: Int32.self)
            }
        }
        if let state = coreStateArray {
            precondition(coreState.count == envs * coreStateSize, "core state has \(coreState.count) floats, expected \(envs * coreStateSize)")
            coreState.withUnsafeBytes { copy($0, into: state, row: row) }
        }
    }

    /// Copies one row's bytes (all B envs) into observation array `array`.
    private mutating func copy(_ source: UnsafeRawBufferPointer, into array: Int, row: Int) {
        let width = source.count
        batch.observations[array].bytes.withUnsafeMutableBytes { dst in
            UnsafeMutableRawBufferPointer(rebasing: dst[row * width..<(row + 1) * width]).copyMemory(from: source)
        }
    }

    /// Records the policy's choice and the env's response for `step`.
    mutating func recordStep(_ step: Int, env: any VectorEnvironment, result: InferenceBatcher.Result) {
        let base = step * envs
        let version = Int32(clamping: result.policyVersion)
        for e in 0..<envs {
            batch.actions[base + e] = result.actions[e]
            batch.behaviourLogProbs[base + e] = result.logProbs[e]
            batch.values[base + e] = result.values[e]
            batch.rewards[base + e] = env.reward[e]
            batch.dones[base + e] = env.done[e]
            batch.truncated[base + e] = env.truncated[e]
            batch.policyVersions[base + e] = version
            batch.captionIndex[base + e] = captions.intern(env: env, index: e)
            batch.captionCount[base + e] = env.captionCount[e]
        }
        for f in env.finishedEpisodes {
            // The step's own caption, not the next episode's first one that the env now shows.
            batch.captionIndex[base + f.envIndex] = captions.intern(f.lastCaption)
            batch.captionCount[base + f.envIndex] = f.lastCaptionCount
            batch.episodes.append(EpisodeSummary(env: Int32(f.envIndex), episodeReturn: f.episodeReturn,
                                                 length: Int32(clamping: f.length), success: f.success))
        }
    }

    /// The finished rollout, ready to send; recording starts again on fresh columns.
    mutating func finish(workerID: String, task: String, policyVersion: UInt64) -> TrajectoryBatch {
        var finished = batch
        finished.workerID = workerID
        finished.task = task
        finished.policyVersion = policyVersion
        finished.captions = captions.strings
        batch = Self.emptyBatch(steps: steps, envs: envs, spec: spec, fullMap: fullMap, coreStateSize: coreStateSize)
        captions.reset(startingWith: [""])
        return finished
    }
}

extension CaptionTable {
    /// The caption env `i` shows now; empty captions (most steps) cost no string (index 0 is "").
    mutating func intern(env: any VectorEnvironment, index i: Int) -> Int32 {
        env.captionLength[i] == 0 ? 0 : intern(env.caption(i))
    }
}
