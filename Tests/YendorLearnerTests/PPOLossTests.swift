import Foundation
import Testing
@testable import YendorLearner

@Test func surrogateInsideTheClipRangeHasGradientMinusRatioTimesAdvantage() {
    let r = PPOLoss.clippedSurrogate(logRatio: logf(1.05), advantage: 2, clip: 0.1)
    #expect(abs(r.loss + 2.1) < 1e-5 && abs(r.gradLogProb + 2.1) < 1e-5 && !r.clipped)
}

@Test func surrogateStopsPushingOnceTheRatioPassesTheClipInTheAdvantagesDirection() {
    // A > 0 and r > 1 + ε: objective is (1+ε)·A, flat in θ.
    let up = PPOLoss.clippedSurrogate(logRatio: logf(1.3), advantage: 2, clip: 0.1)
    #expect(abs(up.loss + 2.2) < 1e-5 && up.gradLogProb == 0 && up.clipped)
    // A < 0 and r < 1 − ε: objective is (1−ε)·A, flat.
    let down = PPOLoss.clippedSurrogate(logRatio: logf(0.5), advantage: -1, clip: 0.1)
    #expect(abs(down.loss - 0.9) < 1e-5 && down.gradLogProb == 0 && down.clipped)
}

@Test func surrogateKeepsCorrectingWhenTheRatioMovedAgainstTheAdvantage() {
    // A < 0 but r > 1 + ε: the unclipped (more pessimistic) term is the minimum.
    let r = PPOLoss.clippedSurrogate(logRatio: logf(1.5), advantage: -1, clip: 0.1)
    #expect(abs(r.loss - 1.5) < 1e-5 && abs(r.gradLogProb - 1.5) < 1e-5 && !r.clipped)
    // A > 0 but r < 1 − ε: likewise.
    let s = PPOLoss.clippedSurrogate(logRatio: logf(0.5), advantage: 1, clip: 0.1)
    #expect(abs(s.loss + 0.5) < 1e-5 && abs(s.gradLogProb + 0.5) < 1e-5 && !s.clipped)
}

@Test func surrogateAtExactlyTheBoundaryStillHasGradient() {
    let r = PPOLoss.clippedSurrogate(logRatio: 0, advantage: 1, clip: 0.1)
    #expect(r.gradLogProb == -1 && !r.clipped)
}

@Test func clippedValueLossUsesTheLargerErrorAndFreezesOutsideTheClip() {
    // Unclipped: ½(3 − 1)² = 2, gradient 2.
    #expect(PPOLoss.valueLoss(value: 3, target: 1, oldValue: 0, clip: 0) == (2, 2))
    // V moved from 0 to 3 (clip 0.5 → 0.5) toward target 5: clipped error 4.5 is larger;
    // gradient 0 because V − V_old is outside the clip.
    let v = PPOLoss.valueLoss(value: 3, target: 5, oldValue: 0, clip: 0.5)
    #expect(abs(v.loss - 0.5 * 4.5 * 4.5) < 1e-5 && v.gradValue == 0)
}

@Test func entropyOfUniformIsLogNAndItsGradientVanishes() {
    var lp = [Float](repeating: -logf(4), count: 4)
    var grad = [Float](repeating: 9, count: 4)
    let h = lp.withUnsafeMutableBufferPointer { l in grad.withUnsafeMutableBufferPointer { PPOLoss.entropy(logProbs: l.baseAddress!, count: 4, gradLogits: $0.baseAddress!) } }
    #expect(abs(h - logf(4)) < 1e-6)
    #expect(grad.allSatisfy { abs($0) < 1e-6 })
}

/// Hand-computed: halfway to a final fraction of 0.1 is 1 − 0.5 · 0.9 = 0.55 of the base.
@Test func learningRateScheduleDecaysLinearlyOverTheBudgetThenStaysFlat() {
    let s = LearningRateSchedule.linear
    #expect(s.rate(base: 1, finalFraction: 0.1, progress: 0) == 1)
    #expect(abs(s.rate(base: 1, finalFraction: 0.1, progress: 0.5) - 0.55) < 1e-6)
    #expect(abs(s.rate(base: 1, finalFraction: 0.1, progress: 1) - 0.1) < 1e-6)
    #expect(abs(s.rate(base: 1, finalFraction: 0.1, progress: 5) - 0.1) < 1e-6, "a run past its budget (raised at a resume) stays at the end")
    #expect(LearningRateSchedule.constant.rate(base: 0.3, finalFraction: 0, progress: 0.7) == 0.3)
}

@Test func rewardNormalizerDividesByRunningStandardDeviation() {
    var n = RewardNormalizer()
    n.observe([1, 3])  // sample std √2
    var r: [Float] = [2]
    n.scale(&r)
    #expect(abs(r[0] - 2 / 2.0.squareRoot().float) < 1e-6)
}

private extension Double { var float: Float { Float(self) } }

/// A behaviour log-probability that passes admission but is absurdly small (−10³⁰) must not make
/// the update non-finite: the surrogate caps the log-ratio.
@Test func anAbsurdlySmallBehaviourLogProbCannotMakeTheUpdateNonFinite() throws {
    let capped = PPOLoss.clippedSurrogate(logRatio: 1e30, advantage: -2, clip: 0.1)
    #expect(capped.loss.isFinite && capped.gradLogProb == 0 && capped.clipped)
    let c = tinyLearnerConfiguration()
    let learner = try APPOLearner(configuration: c, logger: silentLogger())
    for seed in 0..<UInt64(c.maxConsecutiveNonFinite + 2) {
        var batch = randomBatch(seed: seed)
        for i in 0..<batch.sampleCount where i % 2 == 0 { batch.behaviourLogProbs[i] = -1e30 }
        let stats = try learner.train(on: batch)
        #expect(stats.updatesSkippedNonFinite == 0)
    }
    #expect(learner.policy.parameters.allSatisfy { $0.value.allSatisfy(\.isFinite) })
}
