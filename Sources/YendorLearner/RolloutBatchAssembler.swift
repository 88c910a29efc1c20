import YendorEnvironment
import YendorWire

/// Turns wire `TrajectoryBatch`es (possibly from several workers) into one learner `RolloutBatch`,
/// placing each batch's envs side by side: envCount = ΣB, time-major rows. The batch's caption
/// block (one table of distinct captions, per step an index and a count) is laid out in the same
/// walk, so the intrinsic reward reads the captions straight from the batch.
public enum RolloutBatchAssembler {
    /// Why a trajectory cannot be trained on.
    public struct Mismatch: Error, CustomStringConvertible, Equatable {
        public let detail: String
        public var description: String { "trajectory does not match the learner's observation layout: \(detail)" }
    }

    /// Checks one batch against the layout without converting it.
    public static func check(_ b: TrajectoryBatch, layout: ObservationSpec) throws {
        let rows = b.steps + 1
        try expect(b, "crop", .i16, [rows, b.envs, layout.cropSize, layout.cropSize])
        try expect(b, "blstats", .i32, [rows, b.envs, layout.blstatsCount])
        try expect(b, "caption_index", .i32, [rows, b.envs])
        if let state = b.observation("core_state") {
            guard state.dtype == .f32, state.shape.count == 3, state.shape[0] == rows, state.shape[1] == b.envs, state.shape[2] >= 1 else {
                throw Mismatch(detail: "obs/core_state is \(state.dtype) \(state.shape), expected f32 [\(rows), \(b.envs), H]")
            }
        }
        if b.steps < 1 || b.envs < 1 { throw Mismatch(detail: "empty batch (T=\(b.steps), B=\(b.envs))") }
    }

    private static func expect(_ b: TrajectoryBatch, _ name: String, _ dtype: DType, _ shape: [Int]) throws {
        guard let a = b.observation(name) else { throw Mismatch(detail: "missing obs/\(name)") }
        guard a.dtype == dtype, a.shape == shape else {
            throw Mismatch(detail: "obs/\(name) is \(a.dtype) \(a.shape), expected \(dtype) \(shape)")
        }
    }

    /// Concatenates batches with equal T. Batches from a recurrent policy carry `obs/core_state`
    /// [T+1, B, H]; its row 0 (the state entering the first step) becomes `coreStates`. Either
    /// all batches carry it with the same H or none does.
    public static func assemble(_ batches: [TrajectoryBatch], layout: ObservationSpec) throws -> RolloutBatch {
        guard let first = batches.first else { throw Mismatch(detail: "no batches") }
        let t = first.steps
        for b in batches {
            try check(b, layout: layout)
            if b.steps != t { throw Mismatch(detail: "rollout lengths differ (\(b.steps) vs \(t))") }
        }
        let stateSizes = Set(batches.map { $0.observation("core_state")?.shape[2] ?? 0 })
        guard stateSizes.count == 1, let h = stateSizes.first else {
            throw Mismatch(detail: "batches disagree on obs/core_state sizes \(stateSizes.sorted())")
        }
        let totalEnvs = batches.reduce(0) { $0 + $1.envs }
        var out = RolloutBatch(timeSteps: t, envCount: totalEnvs, layout: layout, coreStateSize: h)
        let c = layout.cropSize * layout.cropSize, k = layout.blstatsCount, cap = layout.captionBytes
        var envOffset = 0
        // The block's caption table: each distinct caption once, across all batches.
        var table: [String] = [], tableIndex: [String: Int32] = [:]
        var stepCaption = [Int32](repeating: 0, count: t * totalEnvs), stepCount = [Int32](repeating: 0, count: t * totalEnvs)
        for b in batches {
            let crop = b.observation("crop")!.values(as: Int16.self)!
            let stats = b.observation("blstats")!.values(as: Int32.self)!
            let captionIndex = b.observation("caption_index")!.values(as: Int32.self)!
            let captionBytes = b.captions.map { Array($0.utf8.prefix(cap)) }
            let toTable = b.captions.map { caption -> Int32 in
                if let i = tableIndex[caption] { return i }
                table.append(caption)
                tableIndex[caption] = Int32(table.count - 1)
                return Int32(table.count - 1)
            }
            if h > 0 {
                let state = b.observation("core_state")!.values(as: Float.self)!
                out.coreStates.replaceSubrange(envOffset * h..<(envOffset + b.envs) * h, with: state[0..<b.envs * h])
            }
            for row in 0...t {
                for e in 0..<b.envs {
                    let src = row * b.envs + e, dst = row * totalEnvs + envOffset + e
                    out.observations.glyphs.replaceSubrange(dst * c..<(dst + 1) * c, with: crop[src * c..<(src + 1) * c])
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
                        out.actions[d] = b.actions[s]
                        out.behaviourLogProbs[d] = b.behaviourLogProbs[s]
                        out.extrinsicRewards[d] = b.rewards[s]
                        // The step's caption and its count in the episode so far: the wire's T·B
                        // `caption_index`/`caption_count` columns (the message the action produced).
                        let stepIndex = Int(b.captionIndex[s])
                        guard stepIndex >= 0, stepIndex < toTable.count else {
                            throw Mismatch(detail: "caption_index \(stepIndex) outside the caption table")
                        }
                        stepCaption[d] = toTable[stepIndex]
                        stepCount[d] = b.captionCount[s]
                        out.dones[d] = b.dones[s]
                        out.truncated[d] = b.truncated[s]
                        out.policyVersions[d] = Int64(b.policyVersions[s])
                    }
                }
            }
            envOffset += b.envs
        }
        out.captions = CaptionBlock(captions: table, captionIndex: stepCaption, captionCount: stepCount)
        return out
    }
}
