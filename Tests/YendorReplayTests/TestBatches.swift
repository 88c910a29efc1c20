import YendorWire

/// A small valid batch whose worker id carries `tag`, so tests can tell items apart.
func testBatch(_ tag: Int, steps: Int = 2, envs: Int = 1) -> TrajectoryBatch {
    let n = steps * envs
    return TrajectoryBatch(
        workerID: "w\(tag)", task: "test", policyVersion: UInt64(tag), steps: steps, envs: envs,
        observations: [NamedArray(name: "features", shape: [steps + 1, envs], values: (0..<(steps + 1) * envs).map { Float($0 + tag) })],
        actions: Array(repeating: Int32(tag % 5), count: n), behaviourLogProbs: Array(repeating: -1, count: n),
        values: Array(repeating: 0.5, count: n), rewards: Array(repeating: Float(tag), count: n),
        dones: Array(repeating: 0, count: n), truncated: Array(repeating: 0, count: n),
        envIDs: (0..<envs).map { Int32($0) }, policyVersions: Array(repeating: Int32(tag), count: n),
        captions: ["", "You kill the jackal!"], captionIndex: Array(repeating: 1, count: n),
        captionCount: Array(repeating: 1, count: n),
        episodes: [EpisodeSummary(env: 0, episodeReturn: Float(tag), length: 7, success: tag % 2 == 0)])
}

