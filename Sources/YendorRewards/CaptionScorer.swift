import YendorNN
import YendorSupport

/// A small text network: hashed caption features → mean embedding → ReLU → scalar.
///
/// The mean of embedding rows is a linear layer over normalised bag-of-features counts
/// (the bias bucket supplies the first layer's bias). The classifier reads the scalar as
/// a logit, the ranking model as the Bradley–Terry reward r(caption).
final class CaptionScorer {
    let featurizer: CaptionFeaturizer
    let embedding: EmbeddingBag
    let activation = ReLU()
    let output: Linear
    let optimizer: Adam
    var parameters: [Parameter] { embedding.parameters + output.parameters }

    private var indices: [Int32] = []
    private var offsets: [Int32] = []

    /// `prefix` names the parameters (e.g. "rewards.classification").
    init(prefix: String, buckets: Int, hiddenSize: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        featurizer = CaptionFeaturizer(buckets: buckets)
        // Small initial rows keep early outputs near 0 (p ≈ ½, r ≈ 0) before any label.
        embedding = EmbeddingBag(name: prefix + ".embedding", vocabulary: buckets, dimension: hiddenSize, scale: 0.1, rng: &rng)
        output = Linear(name: prefix + ".output", inFeatures: hiddenSize, outFeatures: 1, rng: &rng)
        optimizer = Adam(parameters: embedding.parameters + output.parameters)
    }

    /// Scores of the given feature bags (one per caption). Keeps what `backward` needs.
    func forward(_ bags: [[Int32]]) -> [Float] {
        indices.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
        for bag in bags {
            indices.append(contentsOf: bag)
            offsets.append(Int32(indices.count))
        }
        let pooled: Tensor
        do {
            pooled = try embedding.forward(indices: indices, offsets: offsets)
        } catch {
            // The featurizer only emits buckets in range; anything else is a bug here.
            preconditionFailure("CaptionScorer: featurizer produced an invalid bag: \(error)")
        }
        return output.forward(activation.forward(pooled)).data
    }

    /// Accumulates parameter gradients for d(loss)/d(score) of the last `forward`.
    func backward(_ gradScores: [Float]) {
        let g = Tensor(shape: [gradScores.count, 1], data: gradScores)
        embedding.backward(activation.backward(output.backward(g)))
    }

    /// Clears all parameter gradients.
    func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// One Adam step with the accumulated gradients, then clears them.
    func step(learningRate: Float) {
        optimizer.update(learningRate: learningRate)
        zeroGradients()
    }

    /// Weights and Adam moments as named tensors, all named "rewards.…" (Adam's own
    /// "adam.m.<param>" names get the prefix too, so a shared checkpoint stays sorted by owner).
    func stateTensors() -> [NamedTensor] {
        parameters.map(\.namedTensor) + optimizer.stateTensors().map { t in
            var t = t
            t.name = Self.optimizerPrefix + t.name
            return t
        }
    }

    static let optimizerPrefix = "rewards."


    /// Restores `stateTensors()` output and the Adam step count.
    func loadState(_ tensors: [String: NamedTensor], adamStep: Int) throws {
        for p in parameters {
            guard let t = tensors[p.name] else { throw RewardError.badState("missing tensor \(p.name)") }
            guard t.shape == p.shape else { throw RewardError.badState("tensor \(p.name) has shape \(t.shape), expected \(p.shape)") }
            p.value = t.values
        }
        var moments: [String: NamedTensor] = [:]
        for (name, t) in tensors where name.hasPrefix(Self.optimizerPrefix + "adam.") {
            moments[String(name.dropFirst(Self.optimizerPrefix.count))] = t
        }
        do {
            try optimizer.loadState(moments, step: adamStep)
        } catch {
            throw RewardError.badState("optimiser state: \(error)")
        }
    }
}
