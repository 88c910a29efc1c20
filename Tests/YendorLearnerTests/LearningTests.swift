import Foundation
import Testing
import YendorNN
@testable import YendorLearner
import YendorPolicy
import YendorSupport

/// A tiny synthetic task with a dense reward: every step shows a "target" glyph id
/// g ∈ 0..<4 filling the crop (and named in the caption); action g earns reward 1, any
/// other action 0. Episodes last 8 steps. A uniformly random policy earns 0.25 per step.
private struct TargetGlyphTask {
    var envs: ToyEnvs

    init(envCount: Int, seed: UInt64) {
        envs = ToyEnvs(count: envCount, glyphs: 0..<4, seed: seed)
    }

    func write(into obs: inout ObservationBatch, row: Int, env: Int) {
        let target = envs.drawnGlyph[env]
        ToyEnvs.fillCrop(&obs, row: row, with: target)
        obs.setCaption("target \(["alpha", "beta", "gamma", "delta"][Int(target)])", at: row)
    }

    mutating func step(env: Int, action: Int32) -> (reward: Float, done: Bool) {
        let reward: Float = Int16(action) == envs.drawnGlyph[env] ? 1 : 0
        envs.stepInEpisode[env] += 1
        let done = envs.stepInEpisode[env] == 8
        if done { envs.stepInEpisode[env] = 0 }
        envs.redraw(env: env)  // a new target every step
        return (reward, done)
    }
}

@Test func shortTrainingRaisesMeanRewardWellAboveRandom() throws {
    var c = tinyLearnerConfiguration()
    c.learningRate = 3e-3
    c.minibatchSize = 64
    c.epochs = 2
    c.entropyCoefficient = 0.003
    let learner = try APPOLearner(configuration: c, logger: silentLogger())
    let T = 8, B = 16
    var task = TargetGlyphTask(envCount: B, seed: 1)
    var actRng = SplitMix64(seed: 2)
    var output = PolicyOutput()
    var current = ObservationBatch(count: B, spec: c.policy.observation)
    var lastMeanReward: Float = 0
    for _ in 0..<60 {
        var batch = RolloutBatch(timeSteps: T, envCount: B, spec: c.policy.observation)
        for t in 0...T {
            for b in 0..<B {
                task.write(into: &current, row: b, env: b)
                task.write(into: &batch.observations, row: t * B + b, env: b)
            }
            guard t < T else { break }
            try learner.policy.act(current, into: &output, using: &actRng)
            for b in 0..<B {
                let i = t * B + b
                let (reward, done) = task.step(env: b, action: output.actions[b])
                batch.actions[i] = output.actions[b]
                batch.behaviourLogProbs[i] = output.logProbs[b]
                batch.extrinsicRewards[i] = reward
                batch.dones[i] = done ? 1 : 0
                batch.policyVersions[i] = learner.policyVersion
            }
        }
        lastMeanReward = batch.extrinsicRewards.reduce(0, +) / Float(batch.sampleCount)
        _ = try learner.train(on: batch)
    }
    // Random: 0.25. The trained policy is sampled (not greedy) and still exploring.
    #expect(lastMeanReward > 0.6)
}
