import Foundation
import Testing
import YendorNN
@testable import YendorLearner
import YendorPolicy
import YendorSupport

private func tinyRecurrentLearnerConfiguration() -> APPOLearner.Configuration {
    var c = tinyLearnerConfiguration()
    c.policy.core = .gru
    c.policy.coreLayers = 1
    return c
}

/// `randomBatch` plus a random core state per env and an episode end inside the rollout.
private func randomRecurrentBatch(seed: UInt64, stateSize: Int, timeSteps: Int = 4, envCount: Int = 6) -> RolloutBatch {
    var batch = randomBatch(timeSteps: timeSteps, envCount: envCount, seed: seed)
    var rng = SplitMix64(seed: seed + 100)
    batch.coreStates = (0..<(envCount * stateSize)).map { _ in rng.nextUnitFloat() * 1.6 - 0.8 }
    batch.dones[1 * envCount + 0] = 1  // env 0's episode ends at step 1; step 2 starts from zero
    return batch
}

@Test func fullLossGradientWithTheGRUCoreMatchesFiniteDifferencesThroughAnEpisodeReset() throws {
    let (worst, checked) = try fullLossGradientCheck(tinyRecurrentLearnerConfiguration(), batch: {
        randomRecurrentBatch(seed: 11, stateSize: $0.policy.coreStateSize)
    }) { learner, batch in
        try learner.minibatchLossAndGradient(batch, envs: Array(0..<batch.envCount)[...]).total
    }
    let checkedRecurrent = checked.contains { $0.name.hasPrefix("core.gru") && $0.analytic != 0 }
    #expect(worst < 0.05)
    #expect(checkedRecurrent, "the recurrent weights were part of the check")
}

@Test func actingStepByStepMatchesTheUnrolledForwardIncludingTheResetAtDone() throws {
    let policy = try PolicyNetwork(configuration: { var c = tinyPolicyConfiguration(); c.core = .gru; return c }())
    let T = 4, B = 3, H = policy.coreStateSize
    let batch = randomBatch(timeSteps: T - 1, envCount: B, seed: 4)  // T·B observation rows
    var rng = SplitMix64(seed: 9)
    let initial = (0..<(B * H)).map { _ in rng.nextUnitFloat() - 0.5 }
    var starts = [UInt8](repeating: 0, count: T * B)
    starts[2 * B + 1] = 1  // env 1 starts a new episode at step 2
    let (_, unrolledValues) = try policy.forward(batch.observations, sequence: CoreSequence(timeSteps: T, initialState: initial, episodeStarts: starts))
    let unrolled = unrolledValues.data

    // What a rollout worker does: one step at a time, zeroing the state of an env whose episode ended.
    var state = initial
    var output = PolicyOutput()
    var actRng = SplitMix64(seed: 1)
    for t in 0..<T {
        for b in 0..<B where starts[t * B + b] != 0 {
            for j in 0..<H { state[b * H + j] = 0 }
        }
        var step = ObservationBatch(count: B, spec: batch.observations.spec)
        step.gather(Array((t * B)..<((t + 1) * B))[...], from: batch.observations)
        try policy.act(step, coreState: &state, into: &output, using: &actRng)
        for b in 0..<B { #expect(abs(output.values[b] - unrolled[t * B + b]) < 1e-5, "step \(t) env \(b)") }
    }

    // After the reset, env 1's values equal those of a fresh episode started at step 2.
    var fresh = ObservationBatch(count: 2, spec: batch.observations.spec)
    fresh.gather([2 * B + 1, 3 * B + 1][...], from: batch.observations)
    let (_, freshValues) = try policy.forward(fresh, sequence: CoreSequence(timeSteps: 2, initialState: [Float](repeating: 0, count: H), episodeStarts: [0, 0]))
    #expect(abs(freshValues.data[0] - unrolled[2 * B + 1]) < 1e-6 && abs(freshValues.data[1] - unrolled[3 * B + 1]) < 1e-6)
}

@Test func aRecurrentLearnerRejectsABatchWithoutCoreStatesByName() throws {
    let learner = try APPOLearner(configuration: tinyRecurrentLearnerConfiguration(), logger: silentLogger())
    #expect(throws: LearnerError.self) { try learner.train(on: randomBatch(seed: 1)) }
    do { _ = try learner.train(on: randomBatch(seed: 1)) } catch {
        #expect("\(error)".contains("coreStates"))
    }
}

@Test func recurrentTrainingIsDeterministicWithOneThread() throws {
    func run() throws -> [NamedTensor] {
        let learner = try APPOLearner(configuration: tinyRecurrentLearnerConfiguration(), logger: silentLogger())
        for seed in 1...3 { _ = try learner.train(on: randomRecurrentBatch(seed: UInt64(seed), stateSize: learner.policy.coreStateSize)) }
        return learner.policy.namedTensors()
    }
    #expect(try run() == run())
}

@Test func aPolicyConfigurationWithoutACoreFieldDecodesAsTheMLPCore() throws {
    var gru = tinyPolicyConfiguration()
    gru.core = .gru
    let data = try JSONEncoder().encode(gru)
    #expect(try JSONDecoder().decode(PolicyNetwork.Configuration.self, from: data) == gru)
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    object["core"] = nil
    let old = try JSONDecoder().decode(PolicyNetwork.Configuration.self, from: JSONSerialization.data(withJSONObject: object))
    #expect(old == tinyPolicyConfiguration())
}
