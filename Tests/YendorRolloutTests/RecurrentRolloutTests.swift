import Dungeon
import Testing
import YendorLearner
import YendorNN
import YendorPolicy
import YendorWire
@testable import YendorRollout
import YendorSupport

@Suite("Rollouts with a recurrent policy")
struct RecurrentRolloutTests {
    static func tinyRecurrentPolicy(seed: UInt64 = 1) throws -> (PolicyNetwork, ObservationSpec) {
        let (mlp, _) = try RolloutTests.tinyPolicy()
        var c = mlp.configuration
        c.core = .gru
        c.seed = seed
        return (try PolicyNetwork(configuration: c), c.observation)
    }

    @Test func everyRowCarriesTheCoreStateZeroAfterDoneAndContinuedAcrossRollouts() async throws {
        let (net, spec) = try Self.tinyRecurrentPolicy()
        let h = net.coreStateSize
        let batcher = InferenceBatcher(network: net, seed: 1)
        let worker = try RolloutWorker(configuration: .init(task: "staircase", envs: 3, rolloutLength: 40, seed: 9, workerID: "w"),
                                       batcher: batcher)
        var previousLastRow: [Float]? = nil
        var sawReset = false
        for _ in 0..<60 {
            let b = try await worker.rollout()
            let array = try #require(b.observation("core_state"))
            #expect(array.dtype == .f32 && array.shape == [41, 3, h])
            let state = array.values(as: Float.self)!
            let width = b.envs * h
            if let previousLastRow {
                #expect(Array(state[0..<width]) == previousLastRow, "a rollout starts from the state the last one ended in")
            } else {
                #expect(state[0..<width].allSatisfy { $0 == 0 }, "the first episodes start from zero")
            }
            for t in 0..<b.steps {
                for e in 0..<b.envs {
                    let next = state[((t + 1) * b.envs + e) * h..<((t + 1) * b.envs + e + 1) * h]
                    if b.dones[t * b.envs + e] == 1 {
                        #expect(next.allSatisfy { $0 == 0 }, "the state is reset after the episode ends")
                        sawReset = true
                    } else {
                        #expect(next.contains { $0 != 0 }, "inference advances the state")
                    }
                }
            }
            previousLastRow = Array(state[(b.steps * width)..<((b.steps + 1) * width)])
            // The state survives the wire and the assembler keeps row 0 for the learner.
            let decoded = try TrajectoryBatch.decode(b.encoded())
            #expect(decoded == b)
            let assembled = try RolloutBatchAssembler.assemble([decoded, decoded], spec: spec)
            #expect(assembled.coreStates == Array(state[0..<width]) + Array(state[0..<width]))
        }
        #expect(sawReset, "random play over 7200 steps ends some staircase episodes")
    }

    @Test func concurrentRequestsGetBackTheirOwnNextCoreState() async throws {
        let (net, spec) = try Self.tinyRecurrentPolicy()
        let (reference, _) = try Self.tinyRecurrentPolicy()
        let h = net.coreStateSize, n = 5
        let batcher = InferenceBatcher(network: net, seed: 3)
        var rng = SplitMix64(seed: 4)
        let requests: [(ObservationBatch, [Float])] = (0..<6).map { _ in
            var obs = ObservationBatch(count: n, spec: spec)
            for i in 0..<obs.crop.count { obs.crop[i] = Int16(rng.next() % 50) }
            return (obs, (0..<(n * h)).map { _ in rng.nextUnitFloat() - 0.5 })
        }
        let results = try await withThrowingTaskGroup(of: (Int, InferenceBatcher.Result).self) { group in
            for (k, r) in requests.enumerated() { group.addTask { (k, try await batcher.act(r.0, coreState: r.1)) } }
            var all: [(Int, InferenceBatcher.Result)] = []
            for try await r in group { all.append(r) }
            return all
        }
        var output = PolicyOutput()
        var sampling = SplitMix64(seed: 1)
        for (k, result) in results {
            var expected = requests[k].1
            try reference.act(requests[k].0, coreState: &expected, into: &output, using: &sampling)
            #expect(result.coreState.count == n * h)
            #expect(zip(result.coreState, expected).allSatisfy { abs($0 - $1) < 1e-5 })
        }
        await #expect(throws: LearnerError.self) { _ = try await batcher.act(requests[0].0) }
    }
}
