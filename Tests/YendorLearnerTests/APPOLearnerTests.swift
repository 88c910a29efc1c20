import Foundation
import Testing
import YendorNN
@testable import YendorLearner
import YendorPolicy
import YendorSupport
import YendorTestSupport

/// Over the glyph encoder's shapes: no conv (the embedding feeds the linear layer), one conv (fused
/// with the embedding into `EmbeddingConv2D`), and two (the fused one followed by a `Conv2D`).
@Test(arguments: [[], [4], [4, 3]])
func fullLossGradientMatchesFiniteDifferences(convolutionChannels: [Int]) throws {
    var c = tinyLearnerConfiguration()
    c.policy.convolutionChannels = convolutionChannels
    let (worst, _) = try fullLossGradientCheck(c, batch: { _ in randomBatch(seed: 11) }) { learner, batch in
        try learner.minibatchLossAndGradient(batch, samples: Array(0..<batch.sampleCount)[...]).total
    }
    #expect(worst < 0.05)
}

@Test func multiplyAddsPerSampleCountsEveryConvAndLinearLayerAsDefined() throws {
    let c = tinyPolicyConfiguration()  // crop 3×3, embedding 4, one conv of 4, glyph 16, blstats 2→8, caption 8, core 16×2, 4 actions
    let conv = 3 * 3 * (3 * 3 * 4) * 4       // output pixels × patch × channels, the fused first conv included
    let glyph = (3 * 3 * 4) * 16, blstats = 2 * 8
    let core = (16 + 8 + 8) * 16 + 16 * 16, heads = 16 * 4 + 16 * 1
    #expect(try PolicyNetwork(configuration: c).multiplyAddsPerSample == conv + glyph + blstats + core + heads)
}

@Test func theParametersKeepTheirNamesAndOrderWithTheFusedFirstConv() throws {
    var c = tinyPolicyConfiguration()
    c.convolutionChannels = [4, 3]
    let names = try PolicyNetwork(configuration: c).parameters.map(\.name)
    // Checkpoints and weight updates list the parameters in this order.
    #expect(Array(names.prefix(7)) == ["glyph.embedding.table", "glyph.conv0.weight", "glyph.conv0.bias",
                                       "glyph.conv1.weight", "glyph.conv1.bias", "glyph.linear.weight", "glyph.linear.bias"])
}

@Test func trainingUpdatesWeightsAndBumpsThePolicyVersion() throws {
    let learner = try APPOLearner(configuration: tinyLearnerConfiguration(), logger: silentLogger())
    let before = learner.policy.namedTensors()
    let stats = try learner.train(on: randomBatch(seed: 1))
    #expect(stats.policyVersion == 1 && learner.policyVersion == 1)
    #expect(stats.updatesApplied == 4)  // 24 samples, minibatch 16 → 2 of 12 per epoch, 2 epochs
    #expect(stats.samplesUsed == 24 && stats.samplesDroppedForLag == 0)
    #expect(learner.policy.namedTensors() != before)
    #expect(stats.entropy > 0 && stats.totalLoss.isFinite)
}

@Test func samplesOlderThanMaxPolicyLagAreDroppedAndCounted() throws {
    var c = tinyLearnerConfiguration()
    c.maxPolicyLag = 1
    let learner = try APPOLearner(configuration: c, logger: silentLogger())
    for seed in 1...3 { _ = try learner.train(on: randomBatch(seed: UInt64(seed), version: learner.policyVersion)) }
    #expect(learner.policyVersion == 3)
    var batch = randomBatch(seed: 4, version: 3)
    for i in 0..<10 { batch.policyVersions[i] = 1 }  // lag 2 > 1: dropped
    for i in 10..<15 { batch.policyVersions[i] = 2 } // lag 1: kept
    let stats = try learner.train(on: batch)
    #expect(stats.samplesDroppedForLag == 10 && stats.samplesUsed == 14)
    #expect(learner.droppedForLagTotal == 10)
}

/// Intrinsic reward equal to the action id: lets a test see the coefficients at work.
struct ActionIntrinsicRewardSource: IntrinsicRewardSource {
    func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float]) {
        rewards = batch.actions.map { Float($0) }
    }
}

@Test func rewardCombinesExtrinsicAndIntrinsicWithTheirCoefficients() throws {
    var c = tinyLearnerConfiguration()
    c.extrinsicCoefficient = 2
    c.intrinsicCoefficient = 0.5
    c.rewardClip = 0
    let batch = randomBatch(seed: 6)
    let expected = zip(batch.extrinsicRewards, batch.actions).map { 2 * $0 + 0.5 * Float($1) }.reduce(0, +) / Float(batch.sampleCount)
    let learner = try APPOLearner(configuration: c, intrinsicRewards: ActionIntrinsicRewardSource(), logger: silentLogger())
    #expect(abs(try learner.train(on: batch).meanReward - expected) < 1e-5)
    let zero = try APPOLearner(configuration: c, logger: silentLogger())  // no source: no intrinsic reward
    let extrinsicOnly = batch.extrinsicRewards.map { 2 * $0 }.reduce(0, +) / Float(batch.sampleCount)
    #expect(abs(try zero.train(on: batch).meanReward - extrinsicOnly) < 1e-5)
}

/// An intrinsic source that returns NaN for the first step.
struct BrokenIntrinsicRewardSource: IntrinsicRewardSource {
    func intrinsicRewards(for batch: RolloutBatch, into rewards: inout [Float]) {
        rewards = [Float](repeating: 0, count: batch.sampleCount)
        rewards[0] = .nan
    }
}

@Test func nonFiniteRewardsAreZeroedAndCountedWithoutPoisoningTheWeights() throws {
    let learner = try APPOLearner(configuration: tinyLearnerConfiguration(), intrinsicRewards: BrokenIntrinsicRewardSource(), logger: silentLogger())
    let stats = try learner.train(on: randomBatch(seed: 1))
    #expect(stats.nonFiniteRewardsZeroed == 1 && stats.updatesApplied == 4)
    #expect(try learner.publishableWeights().allSatisfy(\.isFinite))
}

@Test func nonFiniteUpdatesAreSkippedThenStopTheLearnerNamingTheStep() throws {
    var c = tinyLearnerConfiguration()
    c.maxConsecutiveNonFinite = 3
    c.epochs = 1
    let learner = try APPOLearner(configuration: c, logger: silentLogger())
    _ = try learner.train(on: randomBatch(seed: 1))  // 2 good updates: step = 2
    learner.policy.parameters.first { $0.name == "value.bias" }!.value[0] = .nan
    #expect(throws: LearnerError.nonFiniteWeights(parameter: "value.bias")) { try learner.publishableWeights() }
    let url = Scratch.root.appendingPathComponent("yendor-nan-\(UUID().uuidString)")
    #expect(throws: LearnerError.self) { try learner.save(to: url) }
    #expect(!FileManager.default.fileExists(atPath: url.path))
    let stats = try learner.train(on: randomBatch(seed: 2))  // 2 skipped, version unchanged
    #expect(stats.updatesSkippedNonFinite == 2 && stats.updatesApplied == 0 && learner.policyVersion == 1)
    #expect(throws: LearnerError.tooManyNonFiniteUpdates(step: 2, consecutive: 3)) { try learner.train(on: randomBatch(seed: 3)) }
    #expect(learner.skippedNonFiniteTotal == 3)
}

/// Trial C7: at a learning rate of 1e19 the first update left finite weights whose logits were
/// not; the workers acted with them, every trajectory was refused for its NaN log-probabilities and
/// the worker evicted. Such weights are now refused where they would leave the learner.
@Test func weightsWhoseOutputsAreNotFiniteAreNeitherPublishedNorCheckpointed() throws {
    let learner = try APPOLearner(configuration: tinyLearnerConfiguration(), logger: silentLogger())
    _ = try learner.train(on: randomBatch(seed: 1))
    #expect(try learner.publishableWeights().count == learner.policy.parameters.count)
    // Finite, but the policy head's products overflow.
    let head = learner.policy.parameters.first { $0.name == "policy.weight" }!
    head.value = head.value.map { $0 >= 0 ? 3e38 : -3e38 }
    #expect(learner.policy.namedTensors().allSatisfy { $0.isFinite })
    #expect { try learner.publishableWeights() } throws: { error in
        guard case .policyDiverged(let step, let rate)? = error as? LearnerError else { return false }
        return step == learner.updateStep && rate == 1e-3 && "\(error)".contains("learning rate")
    }
    let url = Scratch.root.appendingPathComponent("yendor-diverged-\(UUID().uuidString)")
    #expect(throws: LearnerError.self) { try learner.save(to: url) }
    #expect(!FileManager.default.fileExists(atPath: url.path))
}

/// A stopping role does not wait out an update of many epochs: the stop ends it after the
/// minibatch in progress, keeping what was applied (a new policy version).
@Test func aStopEndsAnUpdateAfterTheMinibatchInProgress() throws {
    var c = tinyLearnerConfiguration()
    c.epochs = 100
    let stop = StopFlag()
    let learner = try APPOLearner(configuration: c, stop: stop, logger: silentLogger())
    let full = try learner.train(on: randomBatch(seed: 1))
    #expect(full.updatesApplied == 100 * APPOLearner.minibatches(of: 24, size: 16).count)  // 4 steps × 6 envs
    stop.set()
    let cut = try learner.train(on: randomBatch(seed: 2))
    #expect(cut.updatesApplied == 1 && learner.policyVersion == 2)
}

@Test func malformedBatchIsRejectedByName() throws {
    let learner = try APPOLearner(configuration: tinyLearnerConfiguration(), logger: silentLogger())
    var batch = randomBatch(seed: 1)
    batch.actions[3] = 4
    #expect(throws: LearnerError.badBatch("actions[3] = 4 is outside 0..<4")) { try learner.train(on: batch) }
    batch = randomBatch(seed: 1)
    batch.dones.removeLast()
    #expect(throws: LearnerError.badBatch("dones has 23 entries, expected T·B = 24")) { try learner.train(on: batch) }
}

@Test func checkpointRoundTripResumesIdentically() throws {
    var c = tinyLearnerConfiguration()
    c.normalizeRewards = true
    let url = Scratch.root.appendingPathComponent("yendor-ckpt-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    let a = try APPOLearner(configuration: c, logger: silentLogger())
    _ = try a.train(on: randomBatch(seed: 1))
    _ = try a.train(on: randomBatch(seed: 2, version: 1))
    try a.save(to: url)
    let statsA = try a.train(on: randomBatch(seed: 3, version: 2))

    var differentSeed = c
    differentSeed.seed = 77  // the checkpoint's RNG state must win over the configured seed
    let b = try APPOLearner(configuration: differentSeed, logger: silentLogger())
    try b.load(from: url)
    #expect(b.policyVersion == 2 && b.updateStep == 8)
    let statsB = try b.train(on: randomBatch(seed: 3, version: 2))
    #expect(statsA == statsB)
    #expect(a.policy.namedTensors() == b.policy.namedTensors())
}

@Test func checkpointWithADifferentPolicyShapeIsRejected() throws {
    let url = Scratch.root.appendingPathComponent("yendor-ckpt-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    try APPOLearner(configuration: tinyLearnerConfiguration(), logger: silentLogger()).save(to: url)
    var c = tinyLearnerConfiguration()
    c.policy.coreWidth = 8
    let other = try APPOLearner(configuration: c, logger: silentLogger())
    #expect(throws: LearnerError.badCheckpoint("policy configuration in the checkpoint differs from this learner's")) { try other.load(from: url) }
}

@Test func deterministicModeGivesBitIdenticalWeights() throws {
    var c = tinyLearnerConfiguration()
    c.blasThreads = 1
    func run() throws -> [NamedTensor] {
        let learner = try APPOLearner(configuration: c, logger: silentLogger())
        for seed in 1...3 { _ = try learner.train(on: randomBatch(seed: UInt64(seed), version: learner.policyVersion)) }
        return learner.policy.namedTensors()
    }
    let first = try run(), second = try run()
    #expect(first.map { $0.values.map(\.bitPattern) } == second.map { $0.values.map(\.bitPattern) })
}

/// A batch a little over the minibatch size is one minibatch: 1,024 + 32 samples (33 envs) took a
/// whole Adam step on 32 of them. Otherwise the nearest whole number of equal minibatches.
@Test func minibatchesAreTheNearestWholeNumberOfEqualSizesAndCoverEveryItemOnce() throws {
    #expect(APPOLearner.minibatches(of: 1056, size: 1024) == [0..<1056])
    #expect(APPOLearner.minibatches(of: 24, size: 16) == [0..<12, 12..<24])
    #expect(APPOLearner.minibatches(of: 2040, size: 1024) == [0..<1020, 1020..<2040])
    #expect(APPOLearner.minibatches(of: 100, size: 1024) == [0..<100])
    #expect(APPOLearner.minibatches(of: 0, size: 16).isEmpty)
    for (count, size) in [(1, 1), (7, 3), (1000, 64), (33, 32), (65, 32)] {
        let cuts = APPOLearner.minibatches(of: count, size: size)
        #expect(cuts.first?.lowerBound == 0 && cuts.last?.upperBound == count)
        #expect(zip(cuts, cuts.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        let sizes = cuts.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1, "\(count)/\(size): \(sizes)")
        #expect(abs(Double(cuts.count) - Double(count) / Double(size)) <= 0.5, "\(count)/\(size): \(cuts.count) minibatches")
    }
    // Through an update: 26 samples at a minibatch size of 24 are one update an epoch.
    var c = tinyLearnerConfiguration()
    c.minibatchSize = 24
    let learner = try APPOLearner(configuration: c, logger: silentLogger())
    let stats = try learner.train(on: randomBatch(timeSteps: 2, envCount: 13, seed: 4))
    #expect(stats.updatesApplied == 2 && stats.samplesUsed == 26)
}
