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

/// A deterministic pseudo-random batch (T×B) with varied observations and some episode ends.
func randomBatch(timeSteps: Int = 4, envCount: Int = 6, seed: UInt64, layout: ObservationSpec = tinyPolicyConfiguration().observation,
                 actionCount: Int = 4, version: Int64 = 0) -> RolloutBatch {
    var rng = SplitMix64(seed: seed)
    var batch = RolloutBatch(timeSteps: timeSteps, envCount: envCount, layout: layout)
    for i in 0..<batch.observations.glyphs.count { batch.observations.glyphs[i] = Int16(rng.next() % UInt64(layout.glyphCount)) }
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
