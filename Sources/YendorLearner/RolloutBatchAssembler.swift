import YendorEnvironment
import YendorWire

/// Turns received trajectories (possibly from several workers) into one learner `RolloutBatch`,
/// placing each one's envs side by side: envCount = ΣB, time-major rows. Each is read in place
/// through a `TrajectoryBatchView`, so this walk is the one copy between a received frame and the
/// training batch. The batch's caption
/// block (one table of distinct captions, per step an index and a count) is laid out in the same
/// walk, so the intrinsic reward reads the captions straight from the batch.
public enum RolloutBatchAssembler {
    /// Why a trajectory cannot be trained on.
    public struct Mismatch: Error, CustomStringConvertible, Equatable {
        public let detail: String
        public var description: String { "trajectory does not match the learner's observation layout: \(detail)" }
    }

    /// Checks one trajectory against the spec without converting it.
    public static func check(_ b: TrajectoryBatchView, spec: ObservationSpec) throws {
        let rows = b.steps + 1
        try expect(b, "crop", .i16, [rows, b.envs, spec.cropSize, spec.cropSize])
        try expect(b, "blstats", .i32, [rows, b.envs, spec.blstatsCount])
        try expect(b, "caption_index", .i32, [rows, b.envs])
        if let state = b.observation("core_state") {
            guard state.dtype == .f32, state.shape.count == 3, state.shape[0] == rows, state.shape[1] == b.envs, state.shape[2] >= 1 else {
                throw Mismatch(detail: "obs/core_state is \(state.dtype) \(state.shape), expected f32 [\(rows), \(b.envs), H]")
            }
        }
        if b.steps < 1 || b.envs < 1 { throw Mismatch(detail: "empty batch (T=\(b.steps), B=\(b.envs))") }
    }

    private static func expect(_ b: TrajectoryBatchView, _ name: String, _ dtype: DType, _ shape: [Int]) throws {
        guard let a = b.observation(name) else { throw Mismatch(detail: "missing obs/\(name)") }
        guard a.dtype == dtype, a.shape == shape else {
            throw Mismatch(detail: "obs/\(name) is \(a.dtype) \(a.shape), expected \(dtype) \(shape)")
        }
    }

    /// `assemble` for values (tests, and batches made in this process).
    public static func assemble(_ batches: [TrajectoryBatch], spec: ObservationSpec) throws -> RolloutBatch {
        try assemble(batches.map { .value($0) }, spec: spec)
    }

    /// Concatenates trajectories with equal T. Those from a recurrent policy carry `obs/core_state`
    /// [T+1, B, H]; its row 0 (the state entering the first step) becomes `coreStates`. Either
    /// all carry it with the same H or none does.
    public static func assemble(_ trajectories: [ReceivedTrajectory], spec: ObservationSpec) throws -> RolloutBatch {
        guard let first = trajectories.first else { throw Mismatch(detail: "no batches") }
        let t = first.steps
        var stateSizes = Set<Int>()
        for item in trajectories {
            if item.steps != t { throw Mismatch(detail: "rollout lengths differ (\(item.steps) vs \(t))") }
            try item.withView { b in
                try check(b, spec: spec)
                stateSizes.insert(b.observation("core_state")?.shape[2] ?? 0)
            }
        }
        guard stateSizes.count == 1, let h = stateSizes.first else {
            throw Mismatch(detail: "batches disagree on obs/core_state sizes \(stateSizes.sorted())")
        }
        let totalEnvs = trajectories.reduce(0) { $0 + $1.envs }
        var out = RolloutBatch(timeSteps: t, envCount: totalEnvs, spec: spec, coreStateSize: h)
        // The block's caption table: each distinct caption once, across all trajectories.
        var table = CaptionTable()
        var stepCaption = [Int32](repeating: 0, count: t * totalEnvs), stepCount = [Int32](repeating: 0, count: t * totalEnvs)
        var envOffset = 0
        for item in trajectories {
            try item.withView { b in
                try lay(b, at: envOffset, of: totalEnvs, h: h, spec: spec, into: &out, table: &table,
                        stepCaption: &stepCaption, stepCount: &stepCount)
            }
            envOffset += item.envs
        }
        out.captions = CaptionBlock(captions: table.strings, captionIndex: stepCaption, captionCount: stepCount)
        return out
    }

    /// Copies trajectory `b` into envs `envOffset..<envOffset + B` of `out`.
    private static func lay(_ b: TrajectoryBatchView, at envOffset: Int, of totalEnvs: Int, h: Int, spec: ObservationSpec,
                            into out: inout RolloutBatch, table: inout CaptionTable,
                            stepCaption: inout [Int32], stepCount: inout [Int32]) throws {
        let t = b.steps
        let c = spec.cropSize * spec.cropSize, k = spec.blstatsCount, cap = spec.captionBytes
        let crop = b.observation("crop")!.elements(as: Int16.self)!
        let stats = b.observation("blstats")!.elements(as: Int32.self)!
        let captionIndex = b.observation("caption_index")!.elements(as: Int32.self)!
        let captionBytes = b.captions.map { Array($0.utf8.prefix(cap)) }
        let toTable = b.captions.map { table.intern($0) }
        if h > 0 {
            let state = b.observation("core_state")!.elements(as: Float.self)!
            out.coreStates.replaceSubrange(envOffset * h..<(envOffset + b.envs) * h, with: state[0..<b.envs * h])
        }
        let actions = b.actions, logProbs = b.behaviourLogProbs, rewards = b.rewards, dones = b.dones
        let truncated = b.truncated, versions = b.policyVersions, stepIndex = b.captionIndex, stepCounts = b.captionCount
        for row in 0...t {
            for e in 0..<b.envs {
                let src = row * b.envs + e, dst = row * totalEnvs + envOffset + e
                out.observations.crop.replaceSubrange(dst * c..<(dst + 1) * c, with: crop[src * c..<(src + 1) * c])
                out.observations.blstats.replaceSubrange(dst * k..<(dst + 1) * k, with: stats[src * k..<(src + 1) * k])
                let index = Int(captionIndex[src])
                guard index >= 0, index < captionBytes.count else {
                    throw Mismatch(detail: "obs/caption_index \(index) outside the caption table")
                }
                let bytes = captionBytes[index]
                out.observations.captionBytes.replaceSubrange(dst * cap..<dst * cap + bytes.count, with: bytes)
                out.observations.captionLengths[dst] = Int32(bytes.count)
                if row < t {
                    let s = row * b.envs + e, d = row * totalEnvs + envOffset + e
                    out.actions[d] = actions[s]
                    out.behaviourLogProbs[d] = logProbs[s]
                    out.extrinsicRewards[d] = rewards[s]
                    // The step's caption and its count in the episode so far: the wire's T·B
                    // `caption_index`/`caption_count` columns (the message the action produced).
                    let step = Int(stepIndex[s])
                    guard step >= 0, step < toTable.count else {
                        throw Mismatch(detail: "caption_index \(step) outside the caption table")
                    }
                    stepCaption[d] = toTable[step]
                    stepCount[d] = stepCounts[s]
                    out.dones[d] = dones[s]
                    out.truncated[d] = truncated[s]
                    out.policyVersions[d] = Int64(versions[s])
                }
            }
        }
    }
}
