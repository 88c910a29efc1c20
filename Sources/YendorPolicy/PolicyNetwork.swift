import Foundation
import YendorNN
import YendorEnvironment
import YendorSupport

/// The actor-critic network: observation encoders, an MLP core (optionally followed by
/// a GRU), a categorical policy head and a value head.
///
/// ```
/// glyph crop ──embedding──conv3×3·ELU ×k──linear·ELU──┐
/// blstats ──sign·log1p──linear·ELU───────────────────├─concat─linear·ELU─layernorm─(linear·ELU)×…─┬─policy logits
/// caption ──hashed bag of words──embedding-bag(mean)─┘                                        └─value
/// ```
/// With `core = .gru` a GRU of width `coreWidth` sits between the core layers and the
/// heads; its hidden state is the network's memory. Rows then form time-major sequences
/// (see `CoreSequence`); without one, each row is its own one-step sequence from a zero
/// state.
/// Images are NHWC throughout, so the conv stack's output is read by the next linear
/// layer as a flattened row per sample without copying. Every ELU is fused into the
/// layer before it (`activation: .elu`), saving a pass over memory per layer. The embedding
/// and the first conv run as one `EmbeddingConv2D`: a lookup per distinct glyph instead of a
/// convolution over embedded cells.
public final class PolicyNetwork {
    /// Sizes of every part; stored in checkpoints so a mismatching load is rejected.
    public struct Configuration: Sendable, Codable, Equatable {
        /// The environment's observation spec: the encoders and the policy head are built from it.
        public var observation = ObservationSpec(environment: "test", mapRows: 21, mapColumns: 79, cropSize: 9,
                                                 glyphCount: 1024, blstatsCount: 16, captionBytes: 256, actionCount: 20)
        /// Number of discrete actions (policy head width): the spec's.
        public var actionCount: Int {
            get { observation.actionCount }
            set { observation.actionCount = newValue }
        }
        /// Width of each glyph id's embedding (input channels of the first conv).
        public var glyphEmbeddingDimension = 16
        /// Output channels of each 3×3 conv layer over the crop (empty: MLP over embeddings).
        public var convolutionChannels = [32, 32]
        /// Square kernel side of each conv layer (padding keeps the crop size).
        public var convolutionKernel = 3
        /// Width of the glyph encoder's output.
        public var glyphFeatures = 256
        /// Width of the blstats encoder's output.
        public var blstatsFeatures = 64
        /// Hash buckets for caption words (bucket 0 = empty caption).
        public var captionBuckets = 4096
        /// Width of the caption embedding.
        public var captionFeatures = 64
        /// Width of each core layer.
        public var coreWidth = 256
        /// Number of core layers (linear·ELU), at least 1.
        public var coreLayers = 2
        /// Layer norm after the first core layer (stabilises the mixed-scale concat).
        public var coreLayerNorm = true
        /// `.mlp`, or `.gru` for a recurrent core of width `coreWidth` after the core layers.
        public var core = PolicyCore.mlp
        /// Floats of recurrent state per env the core carries between steps (0 for the MLP core).
        public var coreStateSize: Int { core == .gru ? coreWidth : 0 }
        /// Seed for weight initialisation.
        public var seed: UInt64 = 1

        public init() {}

        /// Throws naming the first invalid field.
        public func validate() throws {
            func check(_ ok: Bool, _ field: String) throws { if !ok { throw LearnerError.badConfiguration(field) } }
            try check(observation.cropSize >= 1, "observation.cropSize must be >= 1")
            try check(observation.glyphCount >= 1 && observation.glyphCount <= 32768, "observation.glyphCount must be in 1...32768 (Int16 ids)")
            try check(observation.blstatsCount >= 0, "observation.blstatsCount must be >= 0")
            try check(observation.captionBytes >= 0, "observation.captionBytes must be >= 0")
            try check(actionCount >= 2, "actionCount must be >= 2")
            try check(glyphEmbeddingDimension >= 1, "glyphEmbeddingDimension must be >= 1")
            try check(convolutionChannels.allSatisfy { $0 >= 1 }, "convolutionChannels must all be >= 1")
            try check(convolutionKernel >= 1 && convolutionKernel % 2 == 1, "convolutionKernel must be odd and >= 1")
            try check(glyphFeatures >= 1 && blstatsFeatures >= 1 && captionFeatures >= 1, "glyphFeatures, blstatsFeatures, captionFeatures must be >= 1")
            try check(captionBuckets >= 2, "captionBuckets must be >= 2")
            try check(coreWidth >= 1 && coreLayers >= 1, "coreWidth and coreLayers must be >= 1")
            // Sizes far past any use (a typo, a pasted number) would overflow or exhaust memory.
            let widths = [("glyphEmbeddingDimension", glyphEmbeddingDimension), ("glyphFeatures", glyphFeatures), ("blstatsFeatures", blstatsFeatures),
                          ("captionFeatures", captionFeatures), ("coreWidth", coreWidth)] + convolutionChannels.map { ("convolutionChannels", $0) }
            for (name, width) in widths { try check(width <= 65_536, "\(name) must be <= 65536, got \(width)") }
            try check(coreLayers <= 64, "coreLayers must be <= 64, got \(coreLayers)")
            try check(convolutionChannels.count <= 16, "convolutionChannels must list at most 16 layers")
            try check(convolutionKernel <= 2 * observation.cropSize + 1, "convolutionKernel must be <= 2·cropSize + 1, got \(convolutionKernel)")
            try check(captionBuckets <= 1 << 24, "captionBuckets must be <= 16777216, got \(captionBuckets)")
            let count = parameterCount
            try check(count.map { $0 <= Self.maxParameterCount } ?? false,
                      "the network would have \(count.map(String.init) ?? "more than Int.max") parameters, more than \(Self.maxParameterCount) (1 GiB of floats per copy): lower coreWidth, coreLayers, convolutionChannels, glyphFeatures or captionBuckets")
        }
    }

    /// The configuration this network was built with.
    public let configuration: Configuration
    /// All trainable parameters in a fixed order (names are unique).
    public let parameters: [Parameter]

    /// The glyph embedding, fused with the first conv when there is one (`EmbeddingConv2D`).
    private let glyphInput: IndexLayer
    /// The glyph encoder's layers after `glyphInput`.
    private let glyphTrunk: [Layer]
    private let blstatsTrunk: [Layer]
    private let captionBag: EmbeddingBag
    private let core: [Layer]
    private let recurrentCore: GRU?
    private let policyHead: Linear
    private let valueHead: Linear
    private let hasher: CaptionHasher

    // Reused per-call buffers.
    private var glyphIndices: [Int32] = []
    private var captionIndices: [Int32] = []
    private var captionOffsets: [Int32] = []
    private let blstatsInput = Tensor(shape: [0])
    private let concat = Tensor(shape: [0])
    private let values = Tensor(shape: [0])
    private let gradCore = Tensor(shape: [0])
    private let gradGlyph = Tensor(shape: [0])
    private let gradBlstats = Tensor(shape: [0])
    private let gradCaption = Tensor(shape: [0])
    private var zeroStates: [Float] = []
    private var noEpisodeStarts: [UInt8] = []
    private var logProbRow: [Float] = []
    private var batchSize = 0

    public init(configuration: Configuration) throws {
        try configuration.validate()
        self.configuration = configuration
        let c = configuration, crop = c.observation.cropSize
        var rng = SplitMix64(seed: c.seed)
        let glyphEmbedding = Embedding(name: "glyph.embedding", vocabulary: c.observation.glyphCount,
                                   dimension: c.glyphEmbeddingDimension, scale: 0.5, rng: &rng)
        var trunk: [Layer] = []
        var channels = c.glyphEmbeddingDimension
        for (i, out) in c.convolutionChannels.enumerated() {
            trunk.append(Conv2D(name: "glyph.conv\(i)", height: crop, width: crop, inChannels: channels, outChannels: out,
                                kernel: c.convolutionKernel, padding: c.convolutionKernel / 2, activation: .elu, rng: &rng))
            channels = out
        }
        trunk.append(Linear(name: "glyph.linear", inFeatures: crop * crop * channels, outFeatures: c.glyphFeatures, activation: .elu, rng: &rng))
        // The first conv reads the embedding directly: computed as one lookup, the same function.
        if let first = trunk.first as? Conv2D {
            glyphInput = EmbeddingConv2D(embedding: glyphEmbedding, convolution: first)
            trunk.removeFirst()
        } else {
            glyphInput = glyphEmbedding
        }
        glyphTrunk = trunk
        blstatsTrunk = [Linear(name: "blstats.linear", inFeatures: max(c.observation.blstatsCount, 1), outFeatures: c.blstatsFeatures, activation: .elu, rng: &rng)]
        captionBag = EmbeddingBag(name: "caption.bag", vocabulary: c.captionBuckets, dimension: c.captionFeatures, scale: 0.5, rng: &rng)
        var coreLayers: [Layer] = []
        var width = c.glyphFeatures + c.blstatsFeatures + c.captionFeatures
        for i in 0..<c.coreLayers {
            coreLayers.append(Linear(name: "core.\(i)", inFeatures: width, outFeatures: c.coreWidth, activation: .elu, rng: &rng))
            if i == 0 && c.coreLayerNorm { coreLayers.append(LayerNorm(name: "core.norm", features: c.coreWidth)) }
            width = c.coreWidth
        }
        core = coreLayers
        recurrentCore = c.core == .gru ? GRU(name: "core.gru", inFeatures: c.coreWidth, hiddenFeatures: c.coreWidth, rng: &rng) : nil
        // A small policy-head gain starts the policy near uniform (maximal entropy).
        policyHead = Linear(name: "policy", inFeatures: c.coreWidth, outFeatures: c.actionCount, gain: 0.01, rng: &rng)
        valueHead = Linear(name: "value", inFeatures: c.coreWidth, outFeatures: 1, rng: &rng)
        hasher = CaptionHasher(buckets: c.captionBuckets)
        parameters = glyphInput.parameters + glyphTrunk.flatMap(\.parameters) + blstatsTrunk.flatMap(\.parameters)
            + captionBag.parameters + core.flatMap(\.parameters) + (recurrentCore?.parameters ?? [])
            + policyHead.parameters + valueHead.parameters
    }

    /// Multiply-adds of one sample's forward pass as the layers are defined (backward costs about
    /// twice that): the network's nominal size. The fused first conv performs far fewer.
    public var multiplyAddsPerSample: Int {
        var total = (glyphInput as? EmbeddingConv2D)?.multiplyAddsPerImage ?? 0
        for layer in glyphTrunk + blstatsTrunk + core + [policyHead, valueHead] as [Layer] {
            if let l = layer as? Linear { total += l.multiplyAddsPerRow }
            if let c = layer as? Conv2D { total += c.multiplyAddsPerImage }
        }
        return total + (recurrentCore?.multiplyAddsPerRow ?? 0)
    }

    /// Floats of recurrent state per sequence (0 for the MLP core).
    public var coreStateSize: Int { configuration.coreStateSize }

    /// Whether the core carries state across steps.
    public var isRecurrent: Bool { recurrentCore != nil }

    /// The recurrent core's state after every row of the last `forward`, [count,
    /// coreStateSize] (network-owned; empty for the MLP core).
    public private(set) var coreStates = Tensor(shape: [0])

    // MARK: Forward and backward

    /// Computes policy logits [count, actionCount] and values [count] (network-owned
    /// tensors, valid until the next call). With a recurrent core, `sequence` says how
    /// rows form sequences (nil: every row starts from a zero state). Throws on malformed
    /// observations or a sequence that does not fit the batch.
    public func forward(_ batch: ObservationBatch, sequence: CoreSequence? = nil) throws -> (logits: Tensor, values: Tensor) {
        guard batch.spec == configuration.observation else {
            throw LearnerError.badObservation("batch spec \(batch.spec) differs from the policy's \(configuration.observation)")
        }
        try batch.validate()
        let n = batch.count
        if let s = sequence, recurrentCore != nil {
            guard s.timeSteps >= 1, n % s.timeSteps == 0, s.initialState.count == n / s.timeSteps * coreStateSize,
                  s.episodeStarts.count == n else {
                throw LearnerError.badObservation("core sequence (T=\(s.timeSteps), \(s.initialState.count) state floats, \(s.episodeStarts.count) starts) does not fit \(n) rows with state size \(coreStateSize)")
            }
        }
        batchSize = n
        glyphIndices.removeAll(keepingCapacity: true)
        for g in batch.crop { glyphIndices.append(Int32(g)) }
        let glyphFeatures = run(glyphTrunk, try glyphInput.forward(glyphIndices))

        // blstats vary over orders of magnitude (gold, turn counter); sign·log(1+|x|)
        // brings them to O(1) without statistics that would need checkpointing.
        let statCount = configuration.observation.blstatsCount
        blstatsInput.resize([n, max(statCount, 1)])
        blstatsInput.zero()
        for i in 0..<(n * statCount) {
            let x = Float(batch.blstats[i])
            blstatsInput.data[i] = x >= 0 ? log1pf(x) : -log1pf(-x)
        }
        let blstatsFeatures = run(blstatsTrunk, blstatsInput)

        hasher.encode(batch, indices: &captionIndices, offsets: &captionOffsets)
        let captionFeatures = try captionBag.forward(indices: captionIndices, offsets: captionOffsets)

        let parts = [glyphFeatures, blstatsFeatures, captionFeatures]
        let widths = [configuration.glyphFeatures, configuration.blstatsFeatures, configuration.captionFeatures]
        let total = widths.reduce(0, +)
        concat.resize([n, total])
        concat.data.withUnsafeMutableBufferPointer { dst in
            var column = 0
            for (part, width) in zip(parts, widths) {
                part.data.withUnsafeBufferPointer { src in
                    for r in 0..<n { (dst.baseAddress! + r * total + column).update(from: src.baseAddress! + r * width, count: width) }
                }
                column += width
            }
        }
        var hidden = run(core, concat)
        if let gru = recurrentCore {
            if let s = sequence {
                hidden = gru.forward(hidden, initialState: s.initialState, episodeStarts: s.episodeStarts, timeSteps: s.timeSteps)
            } else {
                zeroStates.resize(to: n * coreStateSize)
                zeroStates.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                if noEpisodeStarts.count != n { noEpisodeStarts = [UInt8](repeating: 0, count: n) }
                hidden = gru.forward(hidden, initialState: zeroStates, episodeStarts: noEpisodeStarts, timeSteps: 1)
            }
            coreStates = hidden
        }
        let logits = policyHead.forward(hidden)
        let v = valueHead.forward(hidden)
        values.resize([n])
        values.data.withUnsafeMutableBufferPointer { dst in v.data.withUnsafeBufferPointer { dst.baseAddress!.update(from: $0.baseAddress!, count: n) } }
        return (logits, values)
    }

    /// Back-propagates d(loss)/d(logits) [count, actionCount] and d(loss)/d(values) [count]
    /// from the last `forward`, accumulating into every parameter's gradient.
    public func backward(gradLogits: Tensor, gradValues: Tensor) {
        let n = batchSize
        precondition(gradLogits.count == n * configuration.actionCount && gradValues.count == n, "PolicyNetwork.backward: gradient sizes do not match the last forward")
        let fromPolicy = policyHead.backward(gradLogits)
        let fromValue = valueHead.backward(gradValues)
        gradCore.resize(fromPolicy.shape)
        gradCore.data.withUnsafeMutableBufferPointer { g in
            fromPolicy.data.withUnsafeBufferPointer { a in
                fromValue.data.withUnsafeBufferPointer { b in for i in 0..<g.count { g[i] = a[i] + b[i] } }
            }
        }
        // Through time over the whole sequence; the initial state's gradient is dropped
        // (truncated BPTT at the rollout boundary).
        let gradCoreLayers = recurrentCore.map { $0.backward(gradCore).input } ?? gradCore
        let gradConcat = runBackward(core, gradCoreLayers)
        let widths = [configuration.glyphFeatures, configuration.blstatsFeatures, configuration.captionFeatures]
        let total = widths.reduce(0, +)
        var column = 0
        for (target, width) in zip([gradGlyph, gradBlstats, gradCaption], widths) {
            target.resize([n, width])
            target.data.withUnsafeMutableBufferPointer { dst in
                gradConcat.data.withUnsafeBufferPointer { src in
                    for r in 0..<n { (dst.baseAddress! + r * width).update(from: src.baseAddress! + r * total + column, count: width) }
                }
            }
            column += width
        }
        glyphInput.backward(runBackward(glyphTrunk, gradGlyph))
        _ = runBackward(blstatsTrunk, gradBlstats)
        captionBag.backward(gradCaption)
    }

    /// Clears every parameter's gradient.
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }

    private func run(_ layers: [Layer], _ input: Tensor) -> Tensor {
        var x = input
        for layer in layers { x = layer.forward(x) }
        return x
    }

    private func runBackward(_ layers: [Layer], _ grad: Tensor) -> Tensor {
        var g = grad
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }

    // MARK: Acting

    /// How `act` picks each action.
    public enum ActionSelection: Sendable {
        /// Drawn from the policy's distribution: training, and evaluation of the policy as trained.
        case sample
        /// The most probable action (the first of equals); the random numbers are not used.
        case greedy
    }

    /// Samples one action per observation from the categorical policy (or, `greedy`, takes the
    /// most probable) and writes actions, their log-probabilities and value estimates into
    /// `output` (storage is reused). A recurrent core starts every row from a zero state; see the
    /// `coreState:` variant.
    public func act(_ batch: ObservationBatch, into output: inout PolicyOutput, using rng: inout SplitMix64,
                    selection: ActionSelection = .sample) throws {
        var none: [Float] = []
        try act(batch, coreState: &none, into: &output, using: &rng, selection: selection)
    }

    /// Like `act`, for one step of `batch.count` sequences: `coreState` [count,
    /// coreStateSize] is the state entering this step and is replaced by the state after
    /// it. For the MLP core it is ignored (pass an empty array).
    public func act(_ batch: ObservationBatch, coreState: inout [Float], into output: inout PolicyOutput, using rng: inout SplitMix64,
                    selection: ActionSelection = .sample) throws {
        var sequence: CoreSequence? = nil
        if isRecurrent && !coreState.isEmpty {
            if noEpisodeStarts.count != batch.count { noEpisodeStarts = [UInt8](repeating: 0, count: batch.count) }
            sequence = CoreSequence(timeSteps: 1, initialState: coreState, episodeStarts: noEpisodeStarts)
        }
        let (logits, v) = try forward(batch, sequence: sequence)
        if isRecurrent && !coreState.isEmpty { coreState = coreStates.data }
        let n = batch.count, a = configuration.actionCount
        output.actions.removeAll(keepingCapacity: true)
        output.logProbs.removeAll(keepingCapacity: true)
        output.values.removeAll(keepingCapacity: true)
        if logProbRow.count != a { logProbRow = [Float](repeating: 0, count: a) }
        logits.data.withUnsafeBufferPointer { z in
            logProbRow.withUnsafeMutableBufferPointer { lp in
                for r in 0..<n {
                    LogSoftmax.apply(z.baseAddress! + r * a, lp.baseAddress!, rows: 1, features: a)
                    var chosen = a - 1
                    switch selection {
                    case .sample:
                        // Inverse-CDF sampling; the last action absorbs rounding error.
                        let u = rng.nextUnitFloat()
                        var cumulative: Float = 0
                        for j in 0..<a {
                            cumulative += expf(lp[j])
                            if u < cumulative { chosen = j; break }
                        }
                    case .greedy:
                        chosen = 0
                        for j in 1..<a where lp[j] > lp[chosen] { chosen = j }
                    }
                    output.actions.append(Int32(chosen))
                    output.logProbs.append(lp[chosen])
                    output.values.append(v.data[r])
                }
            }
        }
    }

    // MARK: Weights

    /// All weights as named f32 tensors (for `PolicyUpdate` messages and checkpoints).
    public func namedTensors() -> [NamedTensor] {
        parameters.map(\.namedTensor)
    }

    /// Replaces all weights; every parameter must be present with its exact shape, and
    /// no extra tensors are accepted. Nothing changes if this throws.
    public func load(namedTensors tensors: [NamedTensor]) throws {
        let byName = try Self.check(tensors, against: parameterShapes)
        for p in parameters { p.value = byName[p.name]!.values }
    }

    /// Each parameter's name and shape, in order: what `load` takes.
    public var parameterShapes: [(name: String, shape: [Int])] { parameters.map { ($0.name, $0.shape) } }

    /// Checks `tensors` as `load` does, without a network (a worker checks weights from the wire
    /// before queueing them): each parameter once, its exact shape, finite values, nothing else.
    /// Returns the tensors by name.
    @discardableResult
    public static func check(_ tensors: [NamedTensor], against shapes: [(name: String, shape: [Int])]) throws -> [String: NamedTensor] {
        var byName: [String: NamedTensor] = [:]
        for t in tensors {
            guard byName.updateValue(t, forKey: t.name) == nil else { throw LearnerError.badCheckpoint("tensor \(t.name) appears twice") }
        }
        for (name, shape) in shapes {
            guard let t = byName[name] else { throw LearnerError.badCheckpoint("missing tensor \(name)") }
            guard t.shape == shape, t.values.count == shape.reduce(1, *) else {
                throw LearnerError.badCheckpoint("tensor \(name) has shape \(t.shape), expected \(shape)")
            }
            guard t.isFinite else { throw LearnerError.nonFiniteWeights(parameter: name) }
        }
        guard byName.count == shapes.count else {
            let known = Set(shapes.map(\.name))
            let extra = byName.keys.filter { !known.contains($0) }.sorted()
            throw LearnerError.badCheckpoint("unknown tensors \(extra)")
        }
        return byName
    }
}

extension PolicyNetwork.Configuration {
    /// Decodes every field; `core` may be absent (checkpoints written before it existed
    /// hold MLP-core networks).
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        observation = try c.decode(ObservationSpec.self, forKey: .observation)
        glyphEmbeddingDimension = try c.decode(Int.self, forKey: .glyphEmbeddingDimension)
        convolutionChannels = try c.decode([Int].self, forKey: .convolutionChannels)
        convolutionKernel = try c.decode(Int.self, forKey: .convolutionKernel)
        glyphFeatures = try c.decode(Int.self, forKey: .glyphFeatures)
        blstatsFeatures = try c.decode(Int.self, forKey: .blstatsFeatures)
        captionBuckets = try c.decode(Int.self, forKey: .captionBuckets)
        captionFeatures = try c.decode(Int.self, forKey: .captionFeatures)
        coreWidth = try c.decode(Int.self, forKey: .coreWidth)
        coreLayers = try c.decode(Int.self, forKey: .coreLayers)
        coreLayerNorm = try c.decode(Bool.self, forKey: .coreLayerNorm)
        core = try c.decodeIfPresent(PolicyCore.self, forKey: .core) ?? .mlp
        seed = try c.decode(UInt64.self, forKey: .seed)
    }
}
