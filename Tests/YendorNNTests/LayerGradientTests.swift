import Foundation
import Testing
@testable import YendorNN
import YendorSupport

private func randomTensor(_ shape: [Int], seed: UInt64, avoidingZero: Bool = false) -> Tensor {
    var rng = SplitMix64(seed: seed)
    var values = GradientCheck.randomValues(shape.reduce(1, *), &rng)
    // Keep inputs away from kinks so finite differences do not straddle them.
    if avoidingZero { values = values.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 } }
    return Tensor(shape: shape, data: values)
}

@Test func linearGradientsMatchFiniteDifferences() {
    var rng = SplitMix64(seed: 1)
    let layer = Linear(name: "l", inFeatures: 5, outFeatures: 4, rng: &rng)
    for i in 0..<4 { layer.bias.value[i] = Float(i) * 0.1 }
    #expect(GradientCheck.maxError(layer: layer, input: randomTensor([3, 5], seed: 2)) < 2e-3)
}

@Test func linearForwardComputesXTimesWPlusB() {
    var rng = SplitMix64(seed: 1)
    let layer = Linear(name: "l", inFeatures: 2, outFeatures: 2, rng: &rng)
    layer.weight.value = [1, 2, 3, 4]  // [in, out]
    layer.bias.value = [0.5, -0.5]
    let y = layer.forward(Tensor(shape: [1, 2], data: [1, 1]))
    #expect(y.data == [4.5, 5.5])
}

@Test func conv2DGradientsMatchFiniteDifferences() {
    var rng = SplitMix64(seed: 3)
    let layer = Conv2D(name: "c", height: 4, width: 3, inChannels: 2, outChannels: 3, kernel: 3, padding: 1, rng: &rng)
    #expect(GradientCheck.maxError(layer: layer, input: randomTensor([2, 4, 3, 2], seed: 4)) < 2e-3)
}

@Test func conv2DWithoutPaddingShrinksTheImage() {
    var rng = SplitMix64(seed: 3)
    let layer = Conv2D(name: "c", height: 4, width: 4, inChannels: 1, outChannels: 1, kernel: 3, padding: 0, rng: &rng)
    layer.weight.value = [Float](repeating: 1, count: 9)
    let y = layer.forward(Tensor(shape: [1, 4, 4, 1], data: (0..<16).map(Float.init)))
    // Sum of each 3x3 window of 0..15 laid out row-major.
    #expect(y.shape == [1, 2, 2, 1])
    #expect(y.data == [45, 54, 81, 90])
    #expect(GradientCheck.maxError(layer: layer, input: randomTensor([2, 4, 4, 1], seed: 5)) < 2e-3)
}

@Test func reluGradientsMatchFiniteDifferences() {
    #expect(GradientCheck.maxError(layer: ReLU(), input: randomTensor([4, 5], seed: 6, avoidingZero: true)) < 2e-3)
}

@Test func eluGradientsMatchFiniteDifferences() {
    #expect(GradientCheck.maxError(layer: ELU(), input: randomTensor([4, 5], seed: 7, avoidingZero: true)) < 2e-3)
}

@Test func layerNormGradientsMatchFiniteDifferences() {
    let layer = LayerNorm(name: "n", features: 6)
    var rng = SplitMix64(seed: 8)
    layer.gain.value = GradientCheck.randomValues(6, &rng)
    layer.bias.value = GradientCheck.randomValues(6, &rng)
    #expect(GradientCheck.maxError(layer: layer, input: randomTensor([3, 6], seed: 9)) < 5e-3)
}

@Test func logSoftmaxRowsExponentiateToOneAndGradientsMatch() {
    let layer = LogSoftmax(features: 4)
    let x = randomTensor([3, 4], seed: 10)
    let y = layer.forward(x)
    for r in 0..<3 {
        let total = (0..<4).map { expf(y.data[r * 4 + $0]) }.reduce(0, +)
        #expect(abs(total - 1) < 1e-5)
    }
    #expect(GradientCheck.maxError(layer: layer, input: x) < 2e-3)
}

@Test func embeddingGradientAccumulatesRepeatedIndices() throws {
    var rng = SplitMix64(seed: 11)
    let layer = Embedding(name: "e", vocabulary: 5, dimension: 2, rng: &rng)
    let y = try layer.forward([3, 1, 3])
    #expect(Array(y.data[0..<2]) == Array(layer.table.value[6..<8]))
    layer.backward(Tensor(shape: [3, 2], data: [1, 2, 10, 20, 100, 200]))
    #expect(Array(layer.table.gradient[6..<8]) == [101, 202])
    #expect(Array(layer.table.gradient[2..<4]) == [10, 20])
    #expect(layer.table.gradient[0] == 0)
}

@Test func embeddingRejectsOutOfRangeIndex() {
    var rng = SplitMix64(seed: 11)
    let layer = Embedding(name: "glyphs", vocabulary: 5, dimension: 2, rng: &rng)
    #expect(throws: NNError.indexOutOfRange(layer: "glyphs.table", index: 5, limit: 5)) { try layer.forward([0, 5]) }
}

@Test func embeddingBagAveragesAndGradientMatchesFiniteDifferences() throws {
    var rng = SplitMix64(seed: 12)
    let layer = EmbeddingBag(name: "b", vocabulary: 6, dimension: 3, rng: &rng)
    let indices: [Int32] = [0, 2, 2, 5, 1]
    let offsets: [Int32] = [0, 3, 3, 5]  // bags: {0,2,2}, {}, {5,1}
    let y = try layer.forward(indices: indices, offsets: offsets)
    let t = layer.table.value
    #expect(abs(y.data[0] - (t[0] + 2 * t[6]) / 3) < 1e-6)
    #expect(y.data[3..<6].allSatisfy { $0 == 0 })
    var probeRng = SplitMix64(seed: 13)
    let probe = GradientCheck.randomValues(9, &probeRng)
    layer.table.zeroGradient()
    layer.backward(Tensor(shape: [3, 3], data: probe))
    let analytic = layer.table.gradient
    for i in 0..<layer.table.count {
        let h: Float = 1e-2
        layer.table.value[i] += h
        let plus = GradientCheck.loss(try layer.forward(indices: indices, offsets: offsets), probe)
        layer.table.value[i] -= 2 * h
        let minus = GradientCheck.loss(try layer.forward(indices: indices, offsets: offsets), probe)
        layer.table.value[i] += h
        #expect(abs(Float((plus - minus) / Double(2 * h)) - analytic[i]) < 2e-3)
    }
}

@Test func eluMatchesTheLibmExponentialClosely() {
    let xs: [Float] = [-100, -87, -20, -5, -1, -0.5, -1e-3, -1e-7, 0, 1e-7, 0.5, 3]
    let y = ELU().forward(Tensor(shape: [xs.count], data: xs))
    for (x, v) in zip(xs, y.data) {
        let exact: Float = x > 0 ? x : expm1f(x)
        #expect(abs(v - exact) <= 2e-7 + 2e-7 * abs(exact), "ELU(\(x)) = \(v), expected \(exact)")
    }
}
