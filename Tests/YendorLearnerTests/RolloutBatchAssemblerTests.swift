import Testing
import YendorEnvironment
import YendorLearner
import YendorPolicy
import YendorWire

@Suite struct RolloutBatchAssemblerTests {
    /// A T=2 trajectory of `envs` envs whose step captions come from `table`, picked by `pick`.
    static func batch(envs: Int, spec: ObservationSpec, table: [String], pick: (Int) -> Int32, count: (Int) -> Int32) -> TrajectoryBatch {
        let t = 2, rows = t + 1, c = spec.cropSize * spec.cropSize
        return TrajectoryBatch(
            workerID: "w", task: "staircase", policyVersion: 0, steps: t, envs: envs,
            observations: [
                NamedArray(name: "crop", shape: [rows, envs, spec.cropSize, spec.cropSize], values: [Int16](repeating: 1, count: rows * envs * c)),
                NamedArray(name: "blstats", shape: [rows, envs, spec.blstatsCount], values: [Int32](repeating: 0, count: rows * envs * spec.blstatsCount)),
                NamedArray(name: "caption_index", shape: [rows, envs], values: (0..<rows * envs).map(pick)),
            ],
            actions: [Int32](repeating: 0, count: t * envs), behaviourLogProbs: [Float](repeating: -1, count: t * envs),
            values: [Float](repeating: 0, count: t * envs), rewards: [Float](repeating: 0, count: t * envs),
            dones: [UInt8](repeating: 0, count: t * envs), truncated: [UInt8](repeating: 0, count: t * envs),
            envIDs: (0..<envs).map(Int32.init), policyVersions: [Int32](repeating: 0, count: t * envs),
            captions: table, captionIndex: (0..<t * envs).map(pick), captionCount: (0..<t * envs).map(count), episodes: [])
    }

    /// The learner's batch carries its captions: one table for all trajectories, and for each step
    /// (env side by side, time-major) the caption and count its own trajectory gave it.
    @Test func theBatchCarriesEveryStepsCaptionAndCountUnderOneTable() throws {
        let spec = tinyPolicyConfiguration().observation
        let a = Self.batch(envs: 2, spec: spec, table: ["", "You kill the newt!"], pick: { Int32($0 % 2) }, count: { Int32($0 + 1) })
        let b = Self.batch(envs: 3, spec: spec, table: ["You find a key.", "", "You kill the newt!"],
                           pick: { Int32(($0 + 1) % 3) }, count: { Int32(10 + $0) })
        let r = try RolloutBatchAssembler.assemble([a, b], spec: spec)
        let frames = try [a, b].map { ReceivedTrajectory.frame(try TrajectoryFrame(checking: $0.encoded())) }
        #expect(try RolloutBatchAssembler.assemble(frames, spec: spec) == r, "frames read in place lay out as their values do")
        let block = r.captions
        #expect(block.captions == ["", "You kill the newt!", "You find a key."], "each distinct caption once, in order of first use")
        #expect(block.stepCount == r.sampleCount)
        try r.validate(actionCount: 4)
        for step in 0..<2 {
            for (source, envs, offset) in [(a, 2, 0), (b, 3, 2)] {
                for e in 0..<envs {
                    let s = step * envs + e, d = step * 5 + offset + e
                    #expect(block.captions[Int(block.captionIndex[d])] == source.captions[Int(source.captionIndex[s])], "step \(step) env \(offset + e)")
                    #expect(block.captionCount[d] == source.captionCount[s])
                }
            }
        }
    }

    @Test func aCaptionIndexOutsideItsTrajectorysTableIsAMismatchNotACrash() throws {
        let spec = tinyPolicyConfiguration().observation
        var bad = Self.batch(envs: 2, spec: spec, table: ["", "x"], pick: { Int32($0 % 2) }, count: { _ in 1 })
        bad.captionIndex[3] = 7
        #expect(throws: RolloutBatchAssembler.Mismatch.self) { try RolloutBatchAssembler.assemble([bad], spec: spec) }
    }
}
