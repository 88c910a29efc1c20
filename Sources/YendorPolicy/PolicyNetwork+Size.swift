extension PolicyNetwork.Configuration {
    /// The most parameters a network may have: 2^28 floats, 1 GiB per copy (a learner keeps four:
    /// the weights, their gradients and Adam's two moments).
    public static let maxParameterCount = 1 << 28

    /// The parameters the network this configuration builds would have, counted from the layer
    /// sizes without building it; nil when the count overflows. `PolicyNetworkTests` checks it
    /// against built networks.
    public var parameterCount: Int? {
        var total = 0, overflow = false
        func add(_ factors: Int...) {
            var product = 1
            for f in factors where !overflow {
                let (p, o) = product.multipliedReportingOverflow(by: f)
                product = p; overflow = overflow || o
            }
            let (sum, o) = total.addingReportingOverflow(product)
            total = sum; overflow = overflow || o
        }
        let crop = observation.cropSize, k = convolutionKernel
        add(observation.glyphCount, glyphEmbeddingDimension)  // glyph embedding
        var channels = glyphEmbeddingDimension
        for out in convolutionChannels {  // each conv: weight and bias
            add(k, k, channels, out); add(out)
            channels = out
        }
        add(crop, crop, channels, glyphFeatures); add(glyphFeatures)  // glyph.linear
        add(max(observation.blstatsCount, 1), blstatsFeatures); add(blstatsFeatures)
        add(captionBuckets, captionFeatures)  // caption bag
        var width = glyphFeatures + blstatsFeatures + captionFeatures
        for i in 0..<min(coreLayers, 1 << 16) {
            add(width, coreWidth); add(coreWidth)
            if i == 0 && coreLayerNorm { add(2, coreWidth) }
            width = coreWidth
        }
        if core == .gru { add(2, coreWidth, 3, coreWidth); add(2, 3, coreWidth) }  // input and hidden weights, biases
        add(coreWidth, actionCount); add(actionCount)  // policy head
        add(coreWidth); add(1)  // value head
        return overflow ? nil : total
    }
}
