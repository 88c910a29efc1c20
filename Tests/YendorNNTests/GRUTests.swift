import Testing
@testable import YendorNN
import YendorSupport

/// A GRU over T=3 steps of B=2 sequences; sequence 1 starts a new episode at step 2.
private struct GRUFixture {
    let T = 3, B = 2, inFeatures = 3, H = 4
    let gru: GRU
    let x: Tensor
    var initial: [Float]
    let starts: [UInt8]

    init(seed: UInt64 = 5) {
        var rng = SplitMix64(seed: seed)
        gru = GRU(name: "gru", inFeatures: inFeatures, hiddenFeatures: H, rng: &rng)
        for p in [gru.inputBias, gru.hiddenBias] { p.value = GradientCheck.randomValues(p.count, &rng, scale: 0.5) }
        x = Tensor(shape: [T * B, inFeatures], data: GradientCheck.randomValues(T * B * inFeatures, &rng))
        initial = GradientCheck.randomValues(B * H, &rng)
        var s = [UInt8](repeating: 0, count: T * B)
        s[2 * B + 1] = 1
        starts = s
    }

    func forward() -> Tensor { gru.forward(x, initialState: initial, episodeStarts: starts, timeSteps: T) }
}

@Test func gruUnrollMatchesTheReferenceStepWithTheStateZeroedAtEpisodeStarts() {
    let f = GRUFixture()
    let unrolled = f.forward().data
    var h = f.initial
    for t in 0..<f.T {
        for b in 0..<f.B where f.starts[t * f.B + b] != 0 {
            for j in 0..<f.H { h[b * f.H + j] = 0 }
        }
        h = gruReferenceStep(f.gru, x: Array(f.x.data[(t * f.B * f.inFeatures)..<((t + 1) * f.B * f.inFeatures)]), h: h)
        // 1e-5: BLAS and the reference's plain loops sum in different orders (a few ulp per value).
        for k in 0..<(f.B * f.H) { #expect(abs(unrolled[t * f.B * f.H + k] - h[k]) < 1e-5) }
    }
}

@Test func gruGradientThroughTimeMatchesFiniteDifferencesAcrossAnEpisodeReset() {
    var f = GRUFixture()
    var rng = SplitMix64(seed: 8)
    let probe = GradientCheck.randomValues(f.T * f.B * f.H, &rng)
    for p in f.gru.parameters { p.zeroGradient() }
    _ = f.forward()
    let (dx, dh0) = f.gru.backward(Tensor(shape: [f.T * f.B, f.H], data: probe))
    let analytic = [dx.data, dh0.data] + f.gru.parameters.map(\.gradient)
    var worst: Float = 0
    func numeric(_ perturb: (Float) -> Void) -> Float {
        let step = GradientCheck.step
        perturb(step)
        let plus = GradientCheck.loss(f.forward(), probe)
        perturb(-2 * step)
        let minus = GradientCheck.loss(f.forward(), probe)
        perturb(step)
        return Float((plus - minus) / Double(2 * step))
    }
    for i in 0..<f.x.count { worst = max(worst, abs(numeric { f.x.data[i] += $0 } - analytic[0][i])) }
    for i in 0..<f.initial.count { worst = max(worst, abs(numeric { f.initial[i] += $0 } - analytic[1][i])) }
    for (p, parameter) in f.gru.parameters.enumerated() {
        for i in 0..<parameter.count { worst = max(worst, abs(numeric { parameter.value[i] += $0 } - analytic[2 + p][i])) }
    }
    #expect(worst < 2e-3)
}

@Test func anEpisodeStartCutsTheStateAndTheGradientFromEarlierSteps() {
    let f = GRUFixture()
    let before = f.forward().data
    // Sequence 1's outputs from step 2 on do not depend on its earlier inputs or initial state.
    var other = GRUFixture()
    for i in 0..<(2 * f.B * f.inFeatures) where (i / f.inFeatures) % f.B == 1 { other.x.data[i] += 0.7 }
    for j in 0..<f.H { other.initial[f.H + j] -= 0.5 }
    let after = other.forward().data
    for j in 0..<f.H {
        #expect(before[(2 * f.B + 1) * f.H + j] == after[(2 * f.B + 1) * f.H + j])
        #expect(before[f.H + j] != after[f.H + j], "before the reset the perturbation shows")
    }
    // A loss on sequence 1's last step sends no gradient to its initial state.
    var probe = [Float](repeating: 0, count: f.T * f.B * f.H)
    for j in 0..<f.H { probe[(2 * f.B + 1) * f.H + j] = 1 }
    _ = f.forward()
    let (_, dh0) = f.gru.backward(Tensor(shape: [f.T * f.B, f.H], data: probe))
    #expect(dh0.data.allSatisfy { $0 == 0 })
}
