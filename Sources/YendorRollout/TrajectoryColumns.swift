import YendorEnvironment
import YendorWire

/// Preallocated columns for one rollout (T steps × B envs, T+1 observation rows) and the caption
/// table, filled step by step without per-step allocation except for new caption strings.
struct TrajectoryColumns {
    let steps: Int, envs: Int
    let layout: ObservationSpec
    let fullMap: Bool
    /// Floats of recurrent core state per env (0: no `core_state` array).
    let coreStateSize: Int

    var crop: [Int16]
    var blstats: [Int32]
    var glyphs: [Int16]
    var coreStates: [Float]
    var observationCaption: [Int32]
    var actions: [Int32]
    var logProbs: [Float]
    var values: [Float]
    var rewards: [Float]
    var dones: [UInt8]
    var truncated: [UInt8]
    var versions: [Int32]
    var stepCaption: [Int32]
    var captionCount: [Int32]
    var episodes: [EpisodeSummary] = []
    var captions = CaptionTable()

    init(steps: Int, envs: Int, layout: ObservationSpec, fullMap: Bool, coreStateSize: Int = 0) {
        self.steps = steps
        self.envs = envs
        self.layout = layout
        self.fullMap = fullMap
        self.coreStateSize = coreStateSize
        let rows = (steps + 1) * envs, n = steps * envs
        crop = [Int16](repeating: 0, count: rows * layout.cropPerEnv)
        blstats = [Int32](repeating: 0, count: rows * layout.blstatsCount)
        glyphs = fullMap ? [Int16](repeating: 0, count: rows * layout.glyphsPerEnv) : []
        coreStates = [Float](repeating: 0, count: rows * coreStateSize)
        observationCaption = [Int32](repeating: 0, count: rows)
        actions = [Int32](repeating: 0, count: n)
        logProbs = [Float](repeating: 0, count: n)
        values = [Float](repeating: 0, count: n)
        rewards = [Float](repeating: 0, count: n)
        dones = [UInt8](repeating: 0, count: n)
        truncated = [UInt8](repeating: 0, count: n)
        versions = [Int32](repeating: 0, count: n)
        stepCaption = [Int32](repeating: 0, count: n)
        captionCount = [Int32](repeating: 0, count: n)
    }

    mutating func beginRollout() {
        captions.reset()
        episodes.removeAll(keepingCapacity: true)
    }

    /// Copies the env's observation, and the core state entering that row, into row `row`.
    mutating func recordObservation(row: Int, env: any VectorEnvironment, coreState: [Float] = []) {
        let c = layout.cropPerEnv, k = layout.blstatsCount
        crop.withUnsafeMutableBufferPointer { dst in
            _ = UnsafeMutableBufferPointer(rebasing: dst[row * envs * c..<(row + 1) * envs * c]).update(fromContentsOf: env.crop)
        }
        blstats.withUnsafeMutableBufferPointer { dst in
            _ = UnsafeMutableBufferPointer(rebasing: dst[row * envs * k..<(row + 1) * envs * k]).update(fromContentsOf: env.blstats)
        }
        if fullMap {
            let g = layout.glyphsPerEnv
            glyphs.withUnsafeMutableBufferPointer { dst in
                _ = UnsafeMutableBufferPointer(rebasing: dst[row * envs * g..<(row + 1) * envs * g]).update(fromContentsOf: env.glyphs)
            }
        }
        for e in 0..<envs { observationCaption[row * envs + e] = captions.intern(env: env, index: e) }
        if coreStateSize > 0 {
            let width = envs * coreStateSize
            precondition(coreState.count == width, "core state has \(coreState.count) floats, expected \(width)")
            coreStates.replaceSubrange(row * width..<(row + 1) * width, with: coreState)
        }
    }

    /// Records the policy's choice and the env's response for `step`.
    mutating func recordStep(_ step: Int, env: any VectorEnvironment, result: InferenceBatcher.Result) {
        let base = step * envs
        let version = Int32(clamping: result.policyVersion)
        for e in 0..<envs {
            actions[base + e] = result.actions[e]
            logProbs[base + e] = result.logProbs[e]
            values[base + e] = result.values[e]
            rewards[base + e] = env.reward[e]
            dones[base + e] = env.done[e]
            truncated[base + e] = env.truncated[e]
            versions[base + e] = version
            stepCaption[base + e] = captions.intern(env: env, index: e)
            captionCount[base + e] = env.captionCount[e]
        }
        for f in env.finishedEpisodes {
            // The step's own caption, not the next episode's first one that the env now shows.
            stepCaption[base + f.envIndex] = captions.intern(f.lastCaption)
            captionCount[base + f.envIndex] = f.lastCaptionCount
            episodes.append(EpisodeSummary(env: Int32(f.envIndex), episodeReturn: f.episodeReturn,
                                           length: Int32(f.length), success: f.success))
        }
    }

    /// The finished rollout as a wire message; the last observation row becomes the next row 0.
    mutating func batch(workerID: String, task: String, policyVersion: UInt64) -> TrajectoryBatch {
        let rows = steps + 1
        var observations = [
            NamedArray(name: "crop", shape: [rows, envs, layout.cropSize, layout.cropSize], values: crop),
            NamedArray(name: "blstats", shape: [rows, envs, layout.blstatsCount], values: blstats),
            NamedArray(name: "caption_index", shape: [rows, envs], values: observationCaption),
        ]
        if coreStateSize > 0 {
            observations.append(NamedArray(name: "core_state", shape: [rows, envs, coreStateSize], values: coreStates))
        }
        if fullMap {
            observations.append(NamedArray(name: "glyphs", shape: [rows, envs, layout.mapRows, layout.mapColumns], values: glyphs))
        }
        return TrajectoryBatch(
            workerID: workerID, task: task, policyVersion: policyVersion, steps: steps, envs: envs,
            observations: observations, actions: actions, behaviourLogProbs: logProbs, values: values,
            rewards: rewards, dones: dones, truncated: truncated, envIDs: (0..<envs).map(Int32.init),
            policyVersions: versions, captions: captions.strings, captionIndex: stepCaption,
            captionCount: captionCount, episodes: episodes)
    }
}

/// Distinct captions of one rollout; index 0 is the empty caption.
struct CaptionTable {
    private(set) var strings: [String] = [""]
    private var index: [String: Int32] = ["": 0]

    mutating func reset() {
        strings.removeAll(keepingCapacity: true)
        strings.append("")
        index.removeAll(keepingCapacity: true)
        index[""] = 0
    }

    mutating func intern(_ s: String) -> Int32 {
        if let i = index[s] { return i }
        let i = Int32(strings.count)
        strings.append(s)
        index[s] = i
        return i
    }

    /// The caption env `i` shows now; empty captions (most steps) cost no string.
    mutating func intern(env: any VectorEnvironment, index i: Int) -> Int32 {
        let length = Int(env.captionLength[i])
        if length == 0 { return 0 }
        let start = i * env.spec.captionBytes
        return intern(String(decoding: env.captions[start..<start + length], as: UTF8.self))
    }
}
