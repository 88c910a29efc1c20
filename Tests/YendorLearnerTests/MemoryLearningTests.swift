import Foundation
import Testing
import YendorNN
@testable import YendorLearner
import YendorPolicy
import YendorSupport

/// A task only memory solves: an episode lasts 4 steps; step 0 shows a cue (glyph 1 or 2
/// filling the crop), steps 1–2 a blank crop, step 3 a query glyph (3). The action at the
/// query step earns 1 if it names the cue (action 0 for glyph 1, action 1 for glyph 2);
/// every other step earns 0. Without memory the best policy guesses: 0.5 at the query.
private struct CueRecallTask {
    static let episodeLength = 4
    var envs: ToyEnvs

    init(envCount: Int, seed: UInt64) {
        // Envs out of phase, so episodes cross rollout boundaries at every offset.
        envs = ToyEnvs(count: envCount, glyphs: 1..<3, seed: seed,
                       stepInEpisode: (0..<envCount).map { $0 % Self.episodeLength })
    }

    func isQuery(env: Int) -> Bool { envs.stepInEpisode[env] == Self.episodeLength - 1 }

    func write(into obs: inout ObservationBatch, row: Int, env: Int) {
        let cue = envs.drawnGlyph[env]
        ToyEnvs.fillCrop(&obs, row: row, with: envs.stepInEpisode[env] == 0 ? cue : (isQuery(env: env) ? 3 : 0))
    }

    mutating func step(env: Int, action: Int32) -> (reward: Float, done: Bool) {
        let reward: Float = isQuery(env: env) && Int16(action) == envs.drawnGlyph[env] - 1 ? 1 : 0
        let done = isQuery(env: env)
        envs.stepInEpisode[env] = done ? 0 : envs.stepInEpisode[env] + 1
        if done { envs.redraw(env: env) }  // the next episode's cue
        return (reward, done)
    }
}

/// Trains on the cue-recall task like a rollout worker feeding the learner (core state
/// carried across rollouts, reset at episode ends); returns the mean reward at query steps
/// over the last 10 rollouts.
private func trainOnCueRecall(core: PolicyCore, rollouts: Int) throws -> Float {
    var c = tinyLearnerConfiguration()
    c.policy.core = core
    c.policy.coreLayers = 1
    c.learningRate = 3e-3
    c.minibatchSize = 48
    c.epochs = 2
    c.entropyCoefficient = 0.003
    let learner = try APPOLearner(configuration: c, logger: silentLogger())
    let T = 6, B = 16, H = learner.policy.coreStateSize
    var task = CueRecallTask(envCount: B, seed: 1)
    var actRng = SplitMix64(seed: 2)
    var output = PolicyOutput()
    var current = ObservationBatch(count: B, spec: c.policy.observation)
    var state = [Float](repeating: 0, count: B * H)
    var queryRewards: [Float] = []
    for rollout in 0..<rollouts {
        var batch = RolloutBatch(timeSteps: T, envCount: B, spec: c.policy.observation, coreStateSize: H)
        batch.coreStates = state
        for t in 0...T {
            for b in 0..<B {
                task.write(into: &current, row: b, env: b)
                task.write(into: &batch.observations, row: t * B + b, env: b)
            }
            guard t < T else { break }
            try learner.policy.act(current, coreState: &state, into: &output, using: &actRng)
            for b in 0..<B {
                let i = t * B + b
                let query = task.isQuery(env: b)
                let (reward, done) = task.step(env: b, action: output.actions[b])
                if query && rollout >= rollouts - 10 { queryRewards.append(reward) }
                if done { for j in 0..<H { state[b * H + j] = 0 } }
                batch.actions[i] = output.actions[b]
                batch.behaviourLogProbs[i] = output.logProbs[b]
                batch.extrinsicRewards[i] = reward
                batch.dones[i] = done ? 1 : 0
                batch.policyVersions[i] = learner.policyVersion
            }
        }
        _ = try learner.train(on: batch)
    }
    return queryRewards.reduce(0, +) / Float(queryRewards.count)
}

@Test func aGRUCoreLearnsToRecallACueThatAnMLPCoreCannot() throws {
    let recurrent = try trainOnCueRecall(core: .gru, rollouts: 150)
    let feedForward = try trainOnCueRecall(core: .mlp, rollouts: 150)
    print("cue recall, mean query reward: gru \(recurrent), mlp \(feedForward) (memoryless best 0.5)")
    #expect(recurrent > 0.8)
    #expect(feedForward < 0.7)
}
