import Testing
import YendorNN
import YendorSupport

/// The fused layer must be the function `Embedding` then `Conv2D` computes, with the same
/// parameter gradients; the reference is the two layers run one after the other on shared
/// parameters, and the gradients are also checked against finite differences.
private struct FusedPair {
    let embedding: Embedding
    let convolution: Conv2D
    let fused: EmbeddingConv2D
    let ids: [Int32]

    /// `outChannels` of 8 or more runs the 8-lane loops, the rest of them the one-lane tail.
    /// A `vocabulary` above 7 leaves table rows that no cell uses (their gradient must stay zero).
    init(kernel: Int, padding: Int, activation: Activation, outChannels: Int = 2, vocabulary: Int = 7, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        embedding = Embedding(name: "g", vocabulary: vocabulary, dimension: 3, scale: 0.7, rng: &rng)
        convolution = Conv2D(name: "c", height: 4, width: 5, inChannels: 3, outChannels: outChannels, kernel: kernel,
                             padding: padding, activation: activation, rng: &rng)
        convolution.bias.value = GradientCheck.randomValues(outChannels, &rng)
        fused = EmbeddingConv2D(embedding: embedding, convolution: convolution)
        // Two images of 4×5 cells; ids repeat within and across images, id 0 and 6 (the range's ends) included.
        ids = (0..<40).map { Int32(($0 * 5 + $0 / 7) % 7) }
    }

    /// The unfused computation on the same parameters.
    func reference() throws -> Tensor {
        convolution.forward(try embedding.forward(ids))
    }
}

// (1, 1): the border pixels have no tap inside the image and are the bias alone.
@Test(arguments: [(3, 1, Activation.elu, 2), (3, 0, .identity, 2), (1, 0, .elu, 2), (1, 1, .elu, 9), (3, 2, .identity, 2), (3, 1, .elu, 8), (3, 1, .elu, 19)])
func embeddingConvMatchesTheEmbeddingThenTheConvolution(kernel: Int, padding: Int, activation: Activation, outChannels: Int) throws {
    let pair = FusedPair(kernel: kernel, padding: padding, activation: activation, outChannels: outChannels, seed: 21)
    let fused = try pair.fused.forward(pair.ids).data
    let reference = try pair.reference().data
    #expect(fused.count == reference.count)
    for i in 0..<reference.count { #expect(abs(fused[i] - reference[i]) <= 1e-5, "output \(i)") }
}

@Test(arguments: [(3, 1, Activation.elu, 2, 7), (3, 0, .identity, 2, 7), (3, 2, .elu, 2, 7), (3, 1, .elu, 8, 40), (3, 1, .identity, 19, 7)])
func embeddingConvGradientsMatchTheUnfusedLayers(kernel: Int, padding: Int, activation: Activation, outChannels: Int, vocabulary: Int) throws {
    let pair = FusedPair(kernel: kernel, padding: padding, activation: activation, outChannels: outChannels,
                         vocabulary: vocabulary, seed: 22)
    var rng = SplitMix64(seed: 23)
    let outputCount = try pair.reference().count
    let probe = Tensor(shape: [outputCount], data: GradientCheck.randomValues(outputCount, &rng))
    let parameters = pair.fused.parameters
    #expect(parameters.map(\.name) == ["g.table", "c.weight", "c.bias"])

    for p in parameters { p.zeroGradient() }
    _ = try pair.reference()
    pair.embedding.backward(pair.convolution.backward(probe))
    let expected = parameters.map(\.gradient)

    // Backward adds onto what the gradients hold: start from the reference's and expect twice it.
    _ = try pair.fused.forward(pair.ids)
    pair.fused.backward(probe)
    for (p, want) in zip(parameters, expected) {
        #expect(want.contains { $0 != 0 }, "\(p.name) has a gradient to compare")
        for i in 0..<want.count { #expect(abs(p.gradient[i] - 2 * want[i]) <= 2e-5 * max(1, abs(want[i])), "\(p.name)[\(i)]") }
    }
}

@Test(arguments: [2, 11])
func embeddingConvGradientsMatchFiniteDifferences(outChannels: Int) throws {
    let pair = FusedPair(kernel: 3, padding: 1, activation: .elu, outChannels: outChannels, seed: 24)
    var rng = SplitMix64(seed: 25)
    let layer = pair.fused
    let probe = GradientCheck.randomValues(try layer.forward(pair.ids).count, &rng)
    for p in layer.parameters { p.zeroGradient() }
    _ = try layer.forward(pair.ids)
    layer.backward(Tensor(shape: [probe.count], data: probe))
    for p in layer.parameters {
        let analytic = p.gradient
        for i in 0..<p.count {
            let numeric = try GradientCheck.numeric({ p.value[i] += $0 }, probe: probe) { try layer.forward(pair.ids) }
            #expect(abs(analytic[i] - numeric) / max(1, abs(numeric)) < 2e-3, "\(p.name)[\(i)]")
        }
    }
}

@Test func embeddingConvForgetsTheIdsOfThePreviousBatch() throws {
    let pair = FusedPair(kernel: 3, padding: 1, activation: .elu, outChannels: 9, seed: 26)
    _ = try pair.fused.forward(pair.ids)
    // A second batch with other ids in other cells: stale slots from the first would misplace rows.
    let second = pair.ids.reversed().map { ($0 + 3) % 7 }
    let fused = try pair.fused.forward(second).data
    let reference = pair.convolution.forward(try pair.embedding.forward(second)).data
    for i in 0..<reference.count { #expect(abs(fused[i] - reference[i]) <= 1e-5, "output \(i)") }
}

@Test func embeddingConvRejectsAnOutOfRangeId() throws {
    let pair = FusedPair(kernel: 3, padding: 1, activation: .elu, seed: 27)
    var ids = pair.ids
    ids[13] = 7
    #expect(throws: NNError.indexOutOfRange(layer: "g.table", index: 7, limit: 7)) { try pair.fused.forward(ids) }
    ids[13] = -1
    #expect(throws: NNError.indexOutOfRange(layer: "g.table", index: -1, limit: 7)) { try pair.fused.forward(ids) }
    // A rejected batch changes nothing: the next one is computed as if it had never come.
    let fused = try pair.fused.forward(pair.ids).data
    let reference = try pair.reference().data
    for i in 0..<reference.count { #expect(abs(fused[i] - reference[i]) <= 1e-5, "output \(i)") }
}

@Test func aRejectedBatchLeavesTheLastForwardToDifferentiate() throws {
    let pair = FusedPair(kernel: 3, padding: 1, activation: .elu, outChannels: 9, seed: 28)
    let parameters = pair.fused.parameters
    var rng = SplitMix64(seed: 29)
    let outputCount = try pair.reference().count
    let probe = Tensor(shape: [outputCount], data: GradientCheck.randomValues(outputCount, &rng))
    for p in parameters { p.zeroGradient() }
    _ = try pair.reference()
    pair.embedding.backward(pair.convolution.backward(probe))
    let expected = parameters.map(\.gradient)

    for p in parameters { p.zeroGradient() }
    _ = try pair.fused.forward(pair.ids)
    var bad = pair.ids
    bad[30] = 99  // late in the batch: the cells before it are valid
    #expect(throws: NNError.self) { try pair.fused.forward(bad) }
    pair.fused.backward(probe)  // differentiates the forward that succeeded
    for (p, want) in zip(parameters, expected) {
        for i in 0..<want.count { #expect(abs(p.gradient[i] - want[i]) <= 1e-5 * max(1, abs(want[i])), "\(p.name)[\(i)]") }
    }
}
