import Foundation
import Testing
@testable import YendorNN
import YendorSupport

private func randomInput(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SplitMix64(seed: seed)
    return Tensor(shape: shape, data: GradientCheck.randomValues(shape.reduce(1, *), &rng))
}

@Test func linearWithFusedELUGradientsMatchFiniteDifferences() {
    var rng = SplitMix64(seed: 1)
    let layer = Linear(name: "l", inFeatures: 5, outFeatures: 4, activation: .elu, rng: &rng)
    for i in 0..<4 { layer.bias.value[i] = Float(i) * 0.1 - 0.15 }
    #expect(GradientCheck.maxError(layer: layer, input: randomInput([3, 5], seed: 2)) < 2e-3)
}

@Test func conv2DWithFusedELUGradientsMatchFiniteDifferences() {
    var rng = SplitMix64(seed: 3)
    let layer = Conv2D(name: "c", height: 4, width: 3, inChannels: 2, outChannels: 3, kernel: 3, padding: 1, activation: .elu, rng: &rng)
    #expect(GradientCheck.maxError(layer: layer, input: randomInput([2, 4, 3, 2], seed: 4)) < 2e-3)
}

@Test func conv2DWithWidePaddingMatchesFiniteDifferences() {
    // Padding larger than the image: some kernel rows and columns see no pixel at all.
    var rng = SplitMix64(seed: 5)
    let layer = Conv2D(name: "c", height: 2, width: 3, inChannels: 2, outChannels: 2, kernel: 5, padding: 3, rng: &rng)
    #expect(GradientCheck.maxError(layer: layer, input: randomInput([2, 2, 3, 2], seed: 6)) < 2e-3)
}

@Test func fusedELUGivesBitIdenticalOutputsAndGradientsToASeparateELULayer() {
    var rngA = SplitMix64(seed: 7), rngB = SplitMix64(seed: 7)
    let fused = Linear(name: "l", inFeatures: 6, outFeatures: 5, activation: .elu, rng: &rngA)
    let plain = Linear(name: "l", inFeatures: 6, outFeatures: 5, rng: &rngB)
    let elu = ELU()
    let x = randomInput([4, 6], seed: 8)
    let dy = randomInput([4, 5], seed: 9)
    #expect(fused.forward(x).data == elu.forward(plain.forward(x)).data)
    #expect(fused.backward(dy).data == plain.backward(elu.backward(dy)).data)
    #expect(fused.weight.gradient == plain.weight.gradient && fused.bias.gradient == plain.bias.gradient)
}

@Test func eluExponentialMatchesLibmOverTheNegativeRange() {
    var worst: Float = 0
    var x: Float = -87
    while x <= 0 {
        let exact = expf(x)
        worst = max(worst, abs(ELU.exponential(x) - exact) / exact)
        x += 0.031
    }
    for x: Float in [0, -0.5, -1e-7, -0.346_573_6, -0.346_573_7, -86.99] {
        worst = max(worst, abs(ELU.exponential(x) - expf(x)) / expf(x))
    }
    #expect(worst < 4e-7, "largest relative error \(worst)")
}
