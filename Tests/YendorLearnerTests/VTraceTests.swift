import Foundation
import Testing
@testable import YendorLearner

// Shared case: T = 3, B = 1, γ = 0.9, V(x_0..3) = [1, 2, 3, 4], r = [1, 0, 2].
private func run(logRhos: [Float] = [0, 0, 0], dones: [UInt8] = [0, 0, 0], truncated: [UInt8] = [0, 0, 0],
                 rhoBar: Float = 1, cBar: Float = 1) -> (targets: [Float], advantages: [Float]) {
    var targets: [Float] = [], advantages: [Float] = []
    VTrace.compute(timeSteps: 3, envCount: 1, values: [1, 2, 3, 4], rewards: [1, 0, 2], logRhos: logRhos,
                   dones: dones, truncated: truncated, gamma: 0.9, rhoBar: rhoBar, cBar: cBar, policyGradientRhoBar: rhoBar,
                   targets: &targets, advantages: &advantages)
    return (targets, advantages)
}

private func close(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 }
}

@Test func onPolicyVTraceEqualsNStepReturns() {
    // v_2 = 2 + 0.9·4 = 5.6; v_1 = 0 + 0.9·5.6 = 5.04; v_0 = 1 + 0.9·5.04 = 5.536.
    // A_t = r_t + γ v_{t+1} − V_t: [5.536 − 1, 5.04 − 2, 5.6 − 3].
    let (v, a) = run()
    #expect(close(v, [5.536, 5.04, 5.6]))
    #expect(close(a, [4.536, 3.04, 2.6]))
}

@Test func terminalStepCutsTheTraceAndBootstrapsZero() {
    // Episode terminates at t = 1: v_1 = r_1 + 0 = 0; v_0 = 1 + 0.9·0 = 1; t = 2 is a new episode: 5.6.
    let (v, a) = run(dones: [0, 1, 0])
    #expect(close(v, [1, 0, 5.6]))
    #expect(close(a, [0, -2, 2.6]))
}

@Test func truncatedStepBootstrapsFromTheLastStateValue() {
    // Time limit at t = 1: bootstrap b_1 = V(x_1) = 2, so v_1 = 0 + 0.9·2 = 1.8 and
    // v_0 = 1 + 0.9·1.8 = 2.62. Nothing from t = 2 (the next episode) flows back.
    let (v, a) = run(dones: [0, 1, 0], truncated: [0, 1, 0])
    #expect(close(v, [2.62, 1.8, 5.6]))
    #expect(close(a, [1.62, -0.2, 2.6]))
    // A truncated flag without done is treated the same way.
    #expect(close(run(truncated: [0, 1, 0]).targets, v))
}

@Test func importanceWeightsAboveRhoBarAreTruncated() {
    // ρ = e² ≫ ρ̄ = c̄ = 1 at every step gives the on-policy answer.
    #expect(close(run(logRhos: [2, 2, 2]).targets, [5.536, 5.04, 5.6]))
}

@Test func smallImportanceWeightScalesDeltaAndCutsTrace() {
    // ρ_1 = 0.5, others 1.
    // t=2: δ = 2.6, v_2 = 5.6.
    // t=1: δ = 0.5·(0 + 2.7 − 2) = 0.35; v_1 − V_1 = 0.35 + 0.9·0.5·2.6 = 1.52 → v_1 = 3.52.
    // t=0: δ = 1 + 1.8 − 1 = 1.8; v_0 − V_0 = 1.8 + 0.9·1·1.52 = 3.168 → v_0 = 4.168.
    // A_1 = 0.5·(0 + 0.9·5.6 − 2) = 1.52; A_0 = 1 + 0.9·3.52 − 1 = 3.168.
    let (v, a) = run(logRhos: [0, logf(0.5), 0])
    #expect(close(v, [4.168, 3.52, 5.6]))
    #expect(close(a, [3.168, 1.52, 2.6]))
}

@Test func environmentsAreIndependentInTimeMajorLayout() {
    // B = 2: env 0 is the shared case, env 1 has all-zero values and rewards (targets 0).
    var targets: [Float] = [], advantages: [Float] = []
    VTrace.compute(timeSteps: 3, envCount: 2, values: [1, 0, 2, 0, 3, 0, 4, 0], rewards: [1, 0, 0, 0, 2, 0],
                   logRhos: [0, 0, 0, 0, 0, 0], dones: [0, 0, 0, 0, 0, 0], truncated: [0, 0, 0, 0, 0, 0],
                   gamma: 0.9, rhoBar: 1, cBar: 1, policyGradientRhoBar: 1, targets: &targets, advantages: &advantages)
    #expect(close(targets, [5.536, 0, 5.04, 0, 5.6, 0]))
}
