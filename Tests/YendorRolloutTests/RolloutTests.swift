import Dungeon
import Testing
import YendorLearner
import YendorNN
import YendorPolicy
import YendorWire
@testable import YendorRollout

@Suite("Rollouts")
struct RolloutTests {
    static func tinyPolicy() throws -> (PolicyNetwork, ObservationSpec) {
        var c = PolicyNetwork.Configuration()
        c.observation = .dungeon()
        c.convolutionChannels = [4]
        c.glyphEmbeddingDimension = 4
        c.glyphFeatures = 16
        c.blstatsFeatures = 8
        c.captionBuckets = 64
        c.captionFeatures = 8
        c.coreWidth = 16
        c.coreLayers = 1
        return (try PolicyNetwork(configuration: c), c.observation)
    }

    @Test func aRolloutIsAConsistentTimeMajorBatch() async throws {
        let (net, _) = try Self.tinyPolicy()
        let batcher = InferenceBatcher(network: net, seed: 1)
        let worker = try RolloutWorker(configuration: .init(task: "staircase", envs: 3, rolloutLength: 40, seed: 9, workerID: "w"),
                                       batcher: batcher)
        var sawEpisodeEnd = false
        for _ in 0..<30 {
            let b = try await worker.rollout()
            #expect(b.steps == 40 && b.envs == 3)
            #expect(b.observation("crop")?.shape == [41, 3, 9, 9])
            #expect(b.actions.allSatisfy { $0 >= 0 && Int($0) < Action.count })
            #expect(b.behaviourLogProbs.allSatisfy { $0 <= 0 && $0.isFinite })
            #expect(b.captionIndex.allSatisfy { Int($0) < b.captions.count })
            #expect(b.episodes.count == b.dones.filter { $0 == 1 }.count)
            // Where no episode ended, the step's caption is what the next observation shows.
            let obsCaption = b.observation("caption_index")!.values(as: Int32.self)!
            for i in 0..<b.steps * b.envs where b.dones[i] == 0 {
                #expect(b.captionIndex[i] == obsCaption[i + b.envs])
            }
            if !b.episodes.isEmpty { sawEpisodeEnd = true }
            // The encoded batch decodes to the same thing.
            #expect(try TrajectoryBatch.decode(b.encoded()) == b)
        }
        #expect(sawEpisodeEnd, "random play over 3600 steps ends some staircase episodes (stairs or hunger)")
    }

    @Test func theAssemblerPlacesEnvsOfSeveralBatchesSideBySide() throws {
        let (net, spec) = try Self.tinyPolicy()
        _ = net
        func batch(envs: Int, base: Int32) -> TrajectoryBatch {
            let t = 2, rows = t + 1
            return TrajectoryBatch(
                workerID: "w", task: "staircase", policyVersion: 0, steps: t, envs: envs,
                observations: [
                    NamedArray(name: "crop", shape: [rows, envs, 9, 9], values: (0..<rows * envs * 81).map { Int16(($0 / 81) % 300) }),
                    NamedArray(name: "blstats", shape: [rows, envs, 16], values: (0..<rows * envs * 16).map { Int32($0) + base }),
                    NamedArray(name: "caption_index", shape: [rows, envs], values: (0..<rows * envs).map { Int32($0 % 2) }),
                ],
                actions: (0..<t * envs).map { Int32($0) + base }, behaviourLogProbs: [Float](repeating: -1, count: t * envs),
                values: [Float](repeating: 0, count: t * envs), rewards: (0..<t * envs).map { Float($0) },
                dones: [UInt8](repeating: 0, count: t * envs), truncated: [UInt8](repeating: 0, count: t * envs),
                envIDs: (0..<envs).map(Int32.init), policyVersions: [Int32](repeating: 0, count: t * envs),
                captions: ["", "You kill the newt!"], captionIndex: [Int32](repeating: 0, count: t * envs),
                captionCount: [Int32](repeating: 1, count: t * envs), episodes: [])
        }
        let a = batch(envs: 2, base: 0), b = batch(envs: 3, base: 1000)
        let r = try RolloutBatchAssembler.assemble([a, b], spec: spec)
        #expect(r.timeSteps == 2 && r.envCount == 5)
        // Step t, env e of the combined batch: first a's 2 envs, then b's 3.
        #expect(r.actions == [0, 1, 1000, 1001, 1002, 2, 3, 1003, 1004, 1005])
        #expect(r.extrinsicRewards == [0, 1, 0, 1, 2, 2, 3, 3, 4, 5])
        // Observation row 1, env 3 = b's row 1, env 1 (its element index 4 → blstats start 4*16).
        let k = 16
        #expect(r.observations.blstats[(1 * 5 + 3) * k] == Int32(4 * 16) + 1000)
        let captionRow = (2 * 5 + 1)  // row 2, env 1 of a: caption index (2*2+1) % 2 = 1
        #expect(r.observations.captionLengths[captionRow] == Int32("You kill the newt!".utf8.count))
        var mismatched = b
        mismatched.observations[0] = NamedArray(name: "crop", shape: [3, 3, 7, 7], values: [Int16](repeating: 0, count: 3 * 3 * 49))
        #expect(throws: RolloutBatchAssembler.Mismatch.self) { try RolloutBatchAssembler.assemble([a, mismatched], spec: spec) }
    }

    @Test func concurrentRequestsShareForwardPassesAndNewWeightsArriveBetweenThem() async throws {
        let (net, spec) = try Self.tinyPolicy()
        let weights = net.namedTensors()
        let batcher = InferenceBatcher(network: net, seed: 3)
        let obs = ObservationBatch(count: 256, spec: spec)  // a pass long enough for others to queue
        try await batcher.update(version: 7, tensors: weights)
        let results = try await withThrowingTaskGroup(of: InferenceBatcher.Result.self) { group in
            for _ in 0..<8 { group.addTask { try await batcher.act(obs) } }
            var all: [InferenceBatcher.Result] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8 && results.allSatisfy { $0.actions.count == 256 && $0.values.count == 256 })
        #expect(results.allSatisfy { $0.policyVersion == 7 })
        let passes = await batcher.forwardPasses
        #expect(passes < 8, "requests that arrive during a pass share the next one")
        try await batcher.update(version: 3, tensors: weights)  // older: ignored
        #expect(try await batcher.act(obs).policyVersion == 7)
    }

    @Test func aWorkerWhosePolicyReadsAnotherSpecThanItsEnvsWriteIsRefusedNamingBoth() throws {
        let (net, policySpec) = try Self.tinyPolicy()
        let batcher = InferenceBatcher(network: net, seed: 1)
        let envSpec = ObservationSpec.dungeon(cropSize: 11)
        #expect(throws: RolloutError.specMismatch(environment: envSpec.fingerprint, policy: policySpec.fingerprint)) {
            _ = try RolloutWorker(configuration: .init(task: "staircase", envs: 2, rolloutLength: 4, seed: 1, spec: envSpec, workerID: "w"),
                                  batcher: batcher)
        }
    }

    @Test func olderWeightsAreIgnoredUnlessTheLearnerSaysItWentBack() async throws {
        let (net, spec) = try Self.tinyPolicy()
        let weights = net.namedTensors()
        let batcher = InferenceBatcher(network: net, seed: 3)
        let obs = ObservationBatch(count: 2, spec: spec)
        try await batcher.update(version: 7, tensors: weights)
        #expect(try await batcher.act(obs).policyVersion == 7)
        #expect(await batcher.learnerHas(version: 9) == nil, "a learner ahead is no news")
        #expect(await batcher.learnerHas(version: 7) == nil)
        try await batcher.update(version: 3, tensors: weights)  // a resend that crossed version 7
        #expect(try await batcher.act(obs).policyVersion == 7)
        #expect(await batcher.learnerHas(version: 2) == 7, "the learner went back from the worker's 7")
        #expect(await batcher.learnerHas(version: 2) == nil, "said once")
        try await batcher.update(version: 2, tensors: weights)
        // Queued, not loaded yet (actors parked by backpressure load them late): the learner's next
        // versions are not news either; its weights are this worker's own now (trial W: the
        // warning came again at every version until an actor loaded them).
        #expect(await batcher.learnerHas(version: 3) == nil)
        try await batcher.update(version: 3, tensors: weights)
        #expect(await batcher.learnerHas(version: 3) == nil)
        #expect(try await batcher.act(obs).policyVersion == 3)
        try await batcher.update(version: 1, tensors: weights)  // older than the learner's own: ignored again
        #expect(try await batcher.act(obs).policyVersion == 3)
    }

    @Test func aFreshLearnersVersionZeroWeightsCountAsArrivedAndAreLoaded() async throws {
        let (net, spec) = try Self.tinyPolicy()
        // The learner's initial weights differ from this worker's own start (another seed).
        let learners = net.namedTensors().map { t in
            var t = t
            t.values = t.values.map { $0 + 0.25 }
            return t
        }
        let batcher = InferenceBatcher(network: net, seed: 3)
        #expect(!(await batcher.hasWeights))
        try await batcher.update(version: 0, tensors: learners)
        #expect(await batcher.hasWeights, "a worker waited 5 s for weights that had come")
        let obs = ObservationBatch(count: 2, spec: spec)
        let acted = try await batcher.act(obs)
        #expect(acted.policyVersion == 0)
        // Loaded: the values are the learner's network's, not this worker's own start's.
        let own = try await InferenceBatcher(network: try Self.tinyPolicy().0, seed: 3).act(obs)
        #expect(acted.values != own.values)
    }
}
