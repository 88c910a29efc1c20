extension TrajectoryBatch {
    /// Calls `body` with a view over this value's own arrays, pinned for the call: the in-process
    /// path to everything written against `TrajectoryBatchView`, without encoding. Throws a
    /// `WireError.invalidShape` naming the column when a column's length does not match the batch's
    /// sizes, so every pointer the view hands out stays in bounds. Values inside the columns (caption
    /// indices, flags) are not checked here: a value comes from this process, and the learner's
    /// validator checks them, with its own reasons, for values and frames alike.
    public func withView<R>(_ body: (TrajectoryBatchView) throws -> R) throws -> R {
        let tb = [steps, envs]
        func expect(_ name: String, _ count: Int, _ shape: [Int]) throws {
            guard count == shape.reduce(1, *) else {
                throw WireError.invalidShape(field: name, detail: "\(count) values for shape \(shape)")
            }
        }
        guard steps >= 0, envs >= 0 else { throw WireError.invalidShape(field: "steps", detail: "T=\(steps), B=\(envs)") }
        for o in observations {
            guard o.shape.count >= 2, o.shape[0] == steps + 1, o.shape[1] == envs,
                  o.bytes.count == o.shape.reduce(1, *) * o.dtype.size else {
                throw WireError.invalidShape(field: Self.obsPrefix + o.name, detail: "shape \(o.shape), \(o.bytes.count) bytes, expected [\(steps + 1), \(envs), ...]")
            }
        }
        try expect("actions", actions.count, tb)
        try expect("behaviour_logp", behaviourLogProbs.count, tb)
        if actionCount > 0 {
            try expect("behaviour_logits", behaviourLogits.count, tb + [actionCount])
        } else if !behaviourLogits.isEmpty {
            throw WireError.invalidShape(field: "behaviour_logits", detail: "\(behaviourLogits.count) values without an action count")
        }
        try expect("values", values.count, tb)
        try expect("rewards", rewards.count, tb)
        try expect("dones", dones.count, tb)
        try expect("truncated", truncated.count, tb)
        try expect("env_ids", envIDs.count, [envs])
        try expect("policy_versions", policyVersions.count, tb)
        try expect("caption_index", captionIndex.count, tb)
        try expect("caption_count", captionCount.count, tb)
        // Observation bytes are read as typed values: they need their dtype's alignment, which a
        // `[UInt8]`'s storage has in practice (heap blocks are 16-byte aligned); the encoded frame,
        // whose layout aligns every array, serves the case where it has not.
        if observations.contains(where: { o in o.bytes.withUnsafeBytes { Int(bitPattern: $0.baseAddress) % 8 != 0 } }) {
            return try TrajectoryBatchView.withView(of: encoded(), body)
        }
        let episodeColumns: [any WireColumn] = [episodes.map(\.env), episodes.map(\.episodeReturn), episodes.map(\.length),
                                                episodes.map { $0.success ? UInt8(1) : 0 }]
        var columns: [any WireColumn] = observations.map(\.bytes)
        columns += [actions, behaviourLogProbs, behaviourLogits, values, rewards, dones, truncated, envIDs, policyVersions,
                    captionIndex, captionCount]
        columns += episodeColumns
        return try Self.pinning(columns[...], into: []) { raw in
            let o = observations.count
            let obs = observations.enumerated().map { i, a in ArrayView(name: a.name, dtype: a.dtype, shape: a.shape, data: raw[i]) }
            func column(_ k: Int, _ name: String, _ dtype: DType, _ shape: [Int]) -> ArrayView {
                ArrayView(name: name, dtype: dtype, shape: shape, data: raw[o + k])
            }
            let e = [episodes.count]
            let view = TrajectoryBatchView(
                workerID: workerID, task: task, policyVersion: policyVersion, steps: steps, envs: envs,
                actionCount: actionCount, observations: obs, captions: captions,
                actionsArray: column(0, "actions", .i32, tb), logProbsArray: column(1, "behaviour_logp", .f32, tb),
                logitsArray: actionCount > 0 ? column(2, "behaviour_logits", .f32, tb + [actionCount]) : nil,
                valuesArray: column(3, "values", .f32, tb), rewardsArray: column(4, "rewards", .f32, tb),
                donesArray: column(5, "dones", .u8, tb), truncatedArray: column(6, "truncated", .u8, tb),
                envIDsArray: column(7, "env_ids", .i32, [envs]), policyVersionsArray: column(8, "policy_versions", .i32, tb),
                captionIndexArray: column(9, "caption_index", .i32, tb), captionCountArray: column(10, "caption_count", .i32, tb),
                episodeEnvArray: column(11, "episode/env", .i32, e), episodeReturnArray: column(12, "episode/return", .f32, e),
                episodeLengthArray: column(13, "episode/length", .i32, e), episodeSuccessArray: column(14, "episode/success", .u8, e))
            return try body(view)
        }
    }

    /// Pins each column's storage in turn and calls `body` with all their bytes.
    private static func pinning<R>(_ columns: ArraySlice<any WireColumn>, into pinned: [UnsafeRawBufferPointer],
                                   _ body: ([UnsafeRawBufferPointer]) throws -> R) throws -> R {
        guard let first = columns.first else { return try body(pinned) }
        return try first.withUnsafeBytes { try pinning(columns.dropFirst(), into: pinned + [$0], body) }
    }
}

/// A column whose storage can be pinned for a view (an array of wire scalars).
protocol WireColumn {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: WireColumn where Element: WireScalar {}

extension TrajectoryBatchView {
    /// A view over already checked arrays (see `TrajectoryBatch.withView`).
    init(workerID: String, task: String, policyVersion: UInt64, steps: Int, envs: Int, actionCount: Int,
         observations: [ArrayView], captions: [String], actionsArray: ArrayView, logProbsArray: ArrayView,
         logitsArray: ArrayView?, valuesArray: ArrayView, rewardsArray: ArrayView, donesArray: ArrayView,
         truncatedArray: ArrayView, envIDsArray: ArrayView, policyVersionsArray: ArrayView,
         captionIndexArray: ArrayView, captionCountArray: ArrayView, episodeEnvArray: ArrayView,
         episodeReturnArray: ArrayView, episodeLengthArray: ArrayView, episodeSuccessArray: ArrayView) {
        self.workerID = workerID
        self.task = task
        self.policyVersion = policyVersion
        self.steps = steps
        self.envs = envs
        self.actionCount = actionCount
        self.observations = observations
        self.captions = captions
        self.actionsArray = actionsArray
        self.logProbsArray = logProbsArray
        self.logitsArray = logitsArray
        self.valuesArray = valuesArray
        self.rewardsArray = rewardsArray
        self.donesArray = donesArray
        self.truncatedArray = truncatedArray
        self.envIDsArray = envIDsArray
        self.policyVersionsArray = policyVersionsArray
        self.captionIndexArray = captionIndexArray
        self.captionCountArray = captionCountArray
        self.episodeEnvArray = episodeEnvArray
        self.episodeReturnArray = episodeReturnArray
        self.episodeLengthArray = episodeLengthArray
        self.episodeSuccessArray = episodeSuccessArray
    }
}
