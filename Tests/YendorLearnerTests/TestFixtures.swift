import YendorEnvironment
import Logging
import YendorNN
@testable import YendorLearner
import YendorPolicy
import YendorSupport

/// Small sizes so tests run in well under a second each in a debug build.
func tinyPolicyConfiguration(actions: Int = 4) -> PolicyNetwork.Configuration {
    var c = PolicyNetwork.Configuration()
    c.observation.cropSize = 3
    c.observation.glyphCount = 8
    c.observation.blstatsCount = 2
    c.observation.captionBytes = 16
    c.actionCount = actions
    c.glyphEmbeddingDimension = 4
    c.convolutionChannels = [4]
    c.glyphFeatures = 16
    c.blstatsFeatures = 8
    c.captionBuckets = 16
    c.captionFeatures = 8
    c.coreWidth = 16
    c.coreLayers = 2
    return c
}

func tinyLearnerConfiguration() -> APPOLearner.Configuration {
    var c = APPOLearner.Configuration()
    c.policy = tinyPolicyConfiguration()
    c.minibatchSize = 16
    c.epochs = 2
    c.learningRate = 1e-3
    return c
}

func silentLogger() -> Logger {
    Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
}

/// What the toy tasks of the learning tests share: per env, a glyph drawn at random from
/// `glyphs` (the one to name, or the cue to recall) and the step within the current episode.
struct ToyEnvs {
    let glyphs: Range<Int16>
    private(set) var drawnGlyph: [Int16]
    var stepInEpisode: [Int]
    private var rng: SplitMix64

    /// `stepInEpisode` defaults to every env at the start of an episode.
    init(count: Int, glyphs: Range<Int16>, seed: UInt64, stepInEpisode: [Int]? = nil) {
        self.glyphs = glyphs
        rng = SplitMix64(seed: seed)
        self.stepInEpisode = stepInEpisode ?? [Int](repeating: 0, count: count)
        drawnGlyph = [Int16](repeating: 0, count: count)
        for env in 0..<count { redraw(env: env) }
    }

    mutating func redraw(env: Int) {
        drawnGlyph[env] = glyphs.lowerBound + Int16(rng.next() % UInt64(glyphs.count))
    }

    /// Fills the crop of observation row `row` with `glyph`.
    static func fillCrop(_ obs: inout ObservationBatch, row: Int, with glyph: Int16) {
        let g = obs.spec.cropPerEnv
        for k in 0..<g { obs.crop[row * g + k] = glyph }
    }
}

/// A deterministic pseudo-random batch (T×B) with varied observations and some episode ends.
func randomBatch(timeSteps: Int = 4, envCount: Int = 6, seed: UInt64, spec: ObservationSpec = tinyPolicyConfiguration().observation,
                 actionCount: Int = 4, version: Int64 = 0) -> RolloutBatch {
    var rng = SplitMix64(seed: seed)
    var batch = RolloutBatch(timeSteps: timeSteps, envCount: envCount, spec: spec)
    for i in 0..<batch.observations.crop.count { batch.observations.crop[i] = Int16(rng.next() % UInt64(spec.glyphCount)) }
    for i in 0..<batch.observations.blstats.count { batch.observations.blstats[i] = Int32(rng.next() % 200) - 50 }
    let words = ["You kill the jackal!", "That door is closed.", "", "You see here a scroll"]
    for i in 0..<batch.observations.count { batch.observations.setCaption(words[Int(rng.next() % 4)], at: i) }
    for i in 0..<batch.sampleCount {
        batch.actions[i] = Int32(rng.next() % UInt64(actionCount))
        batch.behaviourLogProbs[i] = -Float(actionCount).squareRoot() * 0.7 * rng.nextUnitFloat() - 0.5
        batch.extrinsicRewards[i] = rng.nextUnitFloat() * 2 - 1
        batch.dones[i] = rng.next() % 7 == 0 ? 1 : 0
        batch.truncated[i] = batch.dones[i] == 1 && rng.next() % 2 == 0 ? 1 : 0
        batch.policyVersions[i] = version
    }
    return batch
}

/// Checks a learner's full loss gradient, `loss` of the learner and `makeBatch`'s batch,
/// against finite differences (see `lossGradientCheck`). The targets and advantages come from a
/// train call on the batch whose updates are undone by reloading the weights. No value clip and
/// a wide PPO clip keep the loss smooth (the clip's kinks are tested in PPOLossTests).
func fullLossGradientCheck(_ configuration: APPOLearner.Configuration, batch makeBatch: (APPOLearner) -> RolloutBatch,
                           loss: (APPOLearner, RolloutBatch) throws -> Float) throws -> (worst: Float, checked: [(name: String, analytic: Float)]) {
    var c = configuration
    c.valueClip = 0
    c.entropyCoefficient = 0.1
    c.ppoClip = 10
    let learner = try APPOLearner(configuration: c, logger: silentLogger())
    let batch = makeBatch(learner)
    let initial = learner.policy.namedTensors()
    _ = try learner.train(on: batch)
    try learner.policy.load(namedTensors: initial)
    return try lossGradientCheck(learner.policy) { try loss(learner, batch) }
}

/// Checks the gradient `loss` accumulates into `policy`'s parameters against central finite
/// differences at `samplesPerParameter` random entries of every parameter. Returns the worst
/// relative error and the (parameter name, analytic value) pairs that were checked.
func lossGradientCheck(_ policy: PolicyNetwork, samplesPerParameter: Int = 3, seed: UInt64 = 3,
                       loss: () throws -> Float) throws -> (worst: Float, checked: [(name: String, analytic: Float)]) {
    policy.zeroGradients()
    _ = try loss()
    let gradients = policy.parameters.map(\.gradient)  // the finite differences below clear them
    var rng = SplitMix64(seed: seed)
    var worst: Float = 0
    var checked: [(name: String, analytic: Float)] = []
    for (parameter, analytic) in zip(policy.parameters, gradients) {
        for _ in 0..<samplesPerParameter {
            let i = Int(rng.next() % UInt64(parameter.count))
            let h: Float = 1e-2
            func value() throws -> Float {
                let l = try loss()
                policy.zeroGradients()
                return l
            }
            let saved = parameter.value[i]
            parameter.value[i] = saved + h
            let plus = try value()
            parameter.value[i] = saved - h
            let minus = try value()
            parameter.value[i] = saved
            let numeric = (plus - minus) / (2 * h)
            let error = abs(numeric - analytic[i]) / max(0.05, abs(numeric))
            if error > 0.05 { print("gradient mismatch \(parameter.name)[\(i)]: analytic \(analytic[i]) numeric \(numeric)") }
            worst = max(worst, error)
            checked.append((parameter.name, analytic[i]))
        }
    }
    return (worst, checked)
}
