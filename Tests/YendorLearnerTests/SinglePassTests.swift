import Foundation
import Testing
import YendorNN
@testable import YendorLearner
import YendorPolicy

/// One epoch and one minibatch covering the batch: step 3's forward pass doubles as the
/// update's. The update must be the one two separate passes give.
@Test(arguments: [PolicyCore.mlp, PolicyCore.gru])
func aSingleUpdateReusingTheEvaluationForwardEqualsTwoPasses(core: PolicyCore) throws {
    var c = tinyLearnerConfiguration()
    c.policy.core = core
    c.policy.coreLayers = 1
    c.epochs = 1
    c.minibatchSize = 64  // ≥ 24 samples: one minibatch
    var batch = randomBatch(seed: 21)
    let single = try APPOLearner(configuration: c, logger: silentLogger())
    batch.coreStates = [Float](repeating: 0.25, count: batch.envCount * single.policy.coreStateSize)
    batch.dones[2 * batch.envCount + 1] = 1
    let twoPasses = try APPOLearner(configuration: c, logger: silentLogger())
    try twoPasses.policy.load(namedTensors: single.policy.namedTensors())
    twoPasses.reuseEvaluationForward = false

    let a = try single.train(on: batch)
    let b = try twoPasses.train(on: batch)
    #expect(a.updatesApplied == 1 && b.updatesApplied == 1)
    #expect(abs(a.totalLoss - b.totalLoss) <= 1e-5 * max(1, abs(b.totalLoss)))
    var worst: Float = 0
    for (x, y) in zip(single.policy.namedTensors(), twoPasses.policy.namedTensors()) {
        #expect(x.name == y.name)
        for (p, q) in zip(x.values, y.values) { worst = max(worst, abs(p - q)) }
    }
    #expect(worst <= 1e-6, "largest weight difference \(worst)")
    // A second batch: the reused pass must also leave the learner in a consistent state.
    var next = randomBatch(seed: 22)
    next.coreStates = batch.coreStates
    let a2 = try single.train(on: next)
    #expect(a2.updatesApplied == 1 && a2.totalLoss.isFinite)
}
