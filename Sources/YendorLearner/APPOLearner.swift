import Foundation
import Logging
import YendorNN
import YendorPolicy
import YendorSupport

/// Asynchronous PPO with V-trace correction (APPO): the learner's update step.
///
/// `train(on:)` reads top to bottom:
///  1. validate the batch; mark samples older than `maxPolicyLag` versions as dropped;
///  2. reward r_t = ext_coef·extrinsic + int_coef·intrinsic (optionally scaled);
///  3. evaluate the current policy on every observation: V(x_t) and log π(a_t|x_t)
///     (with one epoch and one minibatch covering the batch, this is also the update's
///     forward pass, so the batch goes through the network once, as in Sample Factory);
///  4. V-trace targets v_t and advantages A_t (IMPALA), computed once per call;
///  5. for each epoch, for each shuffled minibatch of kept samples (of whole environments,
///     all T steps, when the core is recurrent):
///     L = L^CLIP + c_v·L^VF − c_e·H, backward, skip if non-finite, clip the gradient
///     norm, Adam step at the scheduled learning rate;
///  6. bump the policy version.
/// Publishing (`publishableWeights`) checks the new policy's outputs on a few of the batch's
/// observations first: a policy that diverged is never sent to the workers.
///
/// The ratio in L^CLIP is π_θ/μ (current policy over the behaviour policy that acted), as
/// in APPO; V-trace uses π at the start of the call. A plain class, no sockets: the
/// learner service owns one and feeds it batches.
///
/// With a recurrent core (`policy.core = .gru`) the policy is unrolled over each
/// environment's T steps from the core state the batch carries for its step 0, zeroing
/// the state after every episode end, and the gradient flows back through time within
/// the rollout only (truncated BPTT), as in Sample Factory. Lag-dropped steps still pass
/// through the core (later steps need their state) but add nothing to the loss.
public final class APPOLearner {
    /// Every hyperparameter of the learner; see docs/learner.md.
    public struct Configuration: Sendable, Codable, Equatable {
        /// The network's sizes.
        public var policy = PolicyNetwork.Configuration()
        /// Discount factor γ.
        public var gamma: Float = 0.99
        /// V-trace ρ̄: truncation of importance weights in the value targets.
        public var rhoBar: Float = 1
        /// V-trace c̄: truncation of the trace-cutting coefficients.
        public var cBar: Float = 1
        /// ρ̄ for the advantage's importance weight.
        public var policyGradientRhoBar: Float = 1
        /// PPO clip ε for the ratio π/μ.
        public var ppoClip: Float = 0.1
        /// Clip for the value loss around the pre-update value (0 disables).
        public var valueClip: Float = 0
        /// Coefficient c_v of the value loss.
        public var valueLossCoefficient: Float = 0.5
        /// Coefficient c_e of the entropy bonus.
        public var entropyCoefficient: Float = 0.01
        /// Normalise advantages to zero mean, unit variance per minibatch.
        public var normalizeAdvantages = true
        /// Adam base learning rate.
        public var learningRate: Float = 3e-4
        /// How the learning rate moves over the run's budget (`budgetProgress`).
        public var learningRateSchedule = LearningRateSchedule.constant
        /// The `linear` schedule's rate at the end of the budget, as a fraction of `learningRate`.
        public var finalLearningRateFraction: Float = 0
        /// Adam β₁, β₂, ε.
        public var adam = Adam.Configuration()
        /// Global gradient-norm clip (0 disables).
        public var maxGradientNorm: Float = 4
        /// Samples per minibatch, near enough: the kept samples are cut into the nearest whole
        /// number of minibatches of this size, at least one, of equal sizes (`minibatches(of:size:)`).
        /// A recurrent core takes whole environments instead: max(1, minibatchSize / T) of them.
        public var minibatchSize = 1024
        /// Passes over each batch.
        public var epochs = 1
        /// Samples whose policy version is more than this many versions behind are dropped.
        public var maxPolicyLag: Int64 = 20
        /// Weight of the environment reward.
        public var extrinsicCoefficient: Float = 1
        /// Weight of the intrinsic reward from the `IntrinsicRewardSource`.
        public var intrinsicCoefficient: Float = 0.1
        /// Divide combined rewards by their running standard deviation.
        public var normalizeRewards = false
        /// Clip combined (scaled) rewards to ±rewardClip (0 disables).
        public var rewardClip: Float = 10
        /// Consecutive non-finite updates tolerated before `train` throws.
        public var maxConsecutiveNonFinite = 5
        /// Seed for minibatch shuffling.
        public var seed: UInt64 = 1
        /// OpenBLAS threads (process-wide). 1 leaves the second core to rollout threads.
        public var blasThreads = 1

        public init() {}

        /// Throws naming the first invalid field.
        public func validate() throws {
            func check(_ ok: Bool, _ field: String) throws { if !ok { throw LearnerError.badConfiguration(field) } }
            try policy.validate()
            try check(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1]")
            try check(rhoBar > 0, "rhoBar must be > 0")
            try check(cBar > 0, "cBar must be > 0")
            try check(policyGradientRhoBar > 0, "policyGradientRhoBar must be > 0")
            try check(ppoClip > 0, "ppoClip must be > 0")
            try check(valueClip >= 0, "valueClip must be >= 0")
            // Negative weights turn a loss term around (a value loss maximised, entropy punished).
            try check(valueLossCoefficient >= 0 && valueLossCoefficient.isFinite, "valueLossCoefficient must be >= 0")
            try check(entropyCoefficient >= 0 && entropyCoefficient.isFinite, "entropyCoefficient must be >= 0")
            try check(learningRate > 0, "learningRate must be > 0")
            try check(finalLearningRateFraction >= 0 && finalLearningRateFraction <= 1, "finalLearningRateFraction must be in [0, 1]")
            try check(maxGradientNorm >= 0, "maxGradientNorm must be >= 0")
            try check(minibatchSize >= 1, "minibatchSize must be >= 1")
            try check(epochs >= 1 && epochs <= 10_000, "epochs must be in 1...10000")
            try check(maxPolicyLag >= 0, "maxPolicyLag must be >= 0")
            try check(maxConsecutiveNonFinite >= 1, "maxConsecutiveNonFinite must be >= 1")
            try check(blasThreads >= 1 && blasThreads <= 256, "blasThreads must be in 1...256")
        }
    }

    /// Hyperparameters in use.
    public let configuration: Configuration
    /// The network being trained.
    public let policy: PolicyNetwork
    /// Version of the current weights; samples carry the version that produced them.
    public private(set) var policyVersion: Int64 = 0
    /// Optimiser steps applied so far.
    public private(set) var updateStep = 0
    /// The share of the run's env-step budget taken in, 0...1, which the learning-rate schedule
    /// follows; the caller sets it before each `train(on:)`.
    public var budgetProgress: Double = 0
    /// Minibatch updates skipped for non-finite loss/gradient, in total.
    public private(set) var skippedNonFiniteTotal = 0
    /// Samples dropped for policy lag, in total.
    public private(set) var droppedForLagTotal = 0

    private let optimizer: Adam
    private var rng: SplitMix64
    private var rewardNormalizer = RewardNormalizer()
    private var consecutiveNonFinite = 0
    private let intrinsicRewardSource: (any IntrinsicRewardSource)?
    private let logger: Logger
    /// Raised by a stopping role: an update ends after the minibatch in progress.
    private let stop: StopFlag
    /// A few observations of the last batch, and a copy of the network to run them through before
    /// weights are published (its own buffers, so the learner's keep their batch size).
    private var probe: ObservationBatch
    private var probeNetwork: PolicyNetwork?
    static let probeRows = 16

    // Per-call buffers, reused across calls.
    private var rewards: [Float] = []
    private var intrinsic: [Float] = []
    private var values: [Float] = []
    private var targetLogProbs: [Float] = []
    private var logRhos: [Float] = []
    private var valueTargets: [Float] = []
    private var advantages: [Float] = []
    private var kept: [Int] = []
    /// Lets a single update reuse step 3's forward pass; tests turn it off to check that the
    /// result is the same as with two passes.
    var reuseEvaluationForward = true
    private var isKept: [Bool] = []
    private var envOrder: [Int] = []
    private var rows: [Int] = []
    private var minibatch: ObservationBatch
    private var logProbRow: [Float] = []
    private let gradLogits = Tensor(shape: [0])
    private let gradValues = Tensor(shape: [0])

    public init(configuration: Configuration, intrinsicRewards: (any IntrinsicRewardSource)? = nil, stop: StopFlag = StopFlag(), logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        policy = try PolicyNetwork(configuration: configuration.policy)
        optimizer = Adam(parameters: policy.parameters, configuration: configuration.adam)
        rng = SplitMix64(seed: configuration.seed)
        intrinsicRewardSource = intrinsicRewards
        self.logger = logger
        minibatch = ObservationBatch(count: 0, spec: configuration.policy.observation)
        probe = ObservationBatch(count: 0, spec: configuration.policy.observation)
        self.stop = stop
        BLAS.setThreadCount(configuration.blasThreads)
    }

    // MARK: The update step

    /// The policy-lag rule, in one place: experience acted by policy `version` is too stale to train
    /// on when the learner is more than `maxPolicyLag` versions ahead of it. The update masks such
    /// samples; the learner service drops a whole trajectory whose newest step already breaks it.
    public func isBeyondLagLimit(_ version: Int64) -> Bool {
        policyVersion - version > configuration.maxPolicyLag
    }

    /// Trains on one batch: several minibatch updates, then a new policy version.
    /// Throws on a malformed batch, or when `maxConsecutiveNonFinite` updates in a row
    /// had a non-finite loss or gradient.
    public func train(on batch: RolloutBatch) throws -> UpdateStats {
        let c = configuration
        let T = batch.timeSteps, B = batch.envCount, n = T * B
        var stats = UpdateStats()

        // 1. Validate; drop samples produced by a policy too many versions old.
        try batch.validate(actionCount: c.policy.actionCount)
        guard batch.observations.spec == c.policy.observation else {
            throw LearnerError.badBatch("observation spec \(batch.observations.spec) differs from the policy's \(c.policy.observation)")
        }
        if policy.isRecurrent && batch.coreStates.count != B * policy.coreStateSize {
            throw LearnerError.badBatch("coreStates has \(batch.coreStates.count) floats, expected B·\(policy.coreStateSize) = \(B * policy.coreStateSize) for the recurrent core")
        }
        kept.removeAll(keepingCapacity: true)
        isKept.removeAll(keepingCapacity: true)
        for i in 0..<n {
            let fresh = !isBeyondLagLimit(batch.policyVersions[i])
            isKept.append(fresh)
            if fresh { kept.append(i) }
        }
        stats.samplesDroppedForLag = n - kept.count
        stats.samplesUsed = kept.count
        droppedForLagTotal += stats.samplesDroppedForLag
        if stats.samplesDroppedForLag > 0 {
            logger.debug("dropped \(stats.samplesDroppedForLag) of \(n) samples older than \(c.maxPolicyLag) versions")
        }

        // 2. Reward: r = ext_coef·extrinsic + int_coef·intrinsic, optionally scaled and clipped.
        if let intrinsicRewardSource {
            intrinsicRewardSource.intrinsicRewards(for: batch, into: &intrinsic)
        } else {
            intrinsic = [Float](repeating: 0, count: n)
        }
        guard intrinsic.count == n else { throw LearnerError.badBatch("intrinsic reward source returned \(intrinsic.count) values, expected \(n)") }
        rewards.removeAll(keepingCapacity: true)
        for i in 0..<n {
            let r = c.extrinsicCoefficient * batch.extrinsicRewards[i] + c.intrinsicCoefficient * intrinsic[i]
            if r.isFinite { rewards.append(r) } else { rewards.append(0); stats.nonFiniteRewardsZeroed += 1 }
        }
        if stats.nonFiniteRewardsZeroed > 0 {
            logger.warning("replaced \(stats.nonFiniteRewardsZeroed) non-finite rewards by 0 (check the intrinsic reward source)")
        }
        if c.normalizeRewards {
            rewardNormalizer.observe(rewards)
            rewardNormalizer.scale(&rewards)
        }
        if c.rewardClip > 0 { for i in 0..<n { rewards[i] = min(max(rewards[i], -c.rewardClip), c.rewardClip) } }
        stats.meanReward = rewards.reduce(0, +) / Float(n)

        // 3. Current policy on every observation: V(x_t) for t ≤ T, log π(a_t|x_t) for t < T.
        //    A single update (one epoch, one minibatch) reuses this forward pass in step 5:
        //    the same weights, the same numbers, one pass through the network instead of two.
        let singlePass = reuseEvaluationForward && c.epochs == 1 && c.minibatchSize >= n
        let evaluated = try evaluate(batch, inOneChunk: singlePass)
        logRhos.removeAll(keepingCapacity: true)
        for i in 0..<n { logRhos.append(targetLogProbs[i] - batch.behaviourLogProbs[i]) }

        // 4. V-trace targets v_t and advantages A_t.
        VTrace.compute(timeSteps: T, envCount: B, values: values, rewards: rewards, logRhos: logRhos,
                       dones: batch.dones, truncated: batch.truncated, gamma: c.gamma, rhoBar: c.rhoBar,
                       cBar: c.cBar, policyGradientRhoBar: c.policyGradientRhoBar,
                       targets: &valueTargets, advantages: &advantages)
        if !kept.isEmpty {
            stats.meanImportanceRatio = kept.reduce(Float(0)) { $0 + expf(logRhos[$1]) } / Float(kept.count)
            stats.meanValueTarget = kept.reduce(Float(0)) { $0 + valueTargets[$1] } / Float(kept.count)
        }

        // 5. Epochs × shuffled minibatches: of kept samples, or of whole environments for
        //    a recurrent core (back-propagation through time needs every step in order).
        let recurrent = policy.isRecurrent
        let count = recurrent ? B : kept.count
        let minibatches = Self.minibatches(of: count, size: singlePass ? count : recurrent ? max(1, c.minibatchSize / T) : c.minibatchSize)
        var clippedCount = 0, lossSamples = 0
        epochs: for _ in 0..<c.epochs {
            if recurrent {
                envOrder.removeAll(keepingCapacity: true)
                envOrder.append(contentsOf: 0..<B)
                shuffle(&envOrder)
            } else {
                shuffle(&kept)
            }
            for range in minibatches {
                let terms: LossTerms
                if singlePass {
                    terms = try lossAndGradient(batch, rows: rows[...], sequence: nil, outputs: evaluated)
                    if terms.count == 0 { continue }
                } else if recurrent {
                    terms = try minibatchLossAndGradient(batch, envs: envOrder[range])
                    if terms.count == 0 { continue }  // every step of these envs was too old
                } else {
                    terms = try minibatchLossAndGradient(batch, samples: kept[range])
                }
                let gradientNorm = GradientClipping.norm(policy.parameters)
                guard terms.total.isFinite, gradientNorm.isFinite else {
                    policy.zeroGradients()
                    consecutiveNonFinite += 1
                    skippedNonFiniteTotal += 1
                    stats.updatesSkippedNonFinite += 1
                    logger.warning("skipped update at step \(updateStep): non-finite loss (\(terms.total)) or gradient norm (\(gradientNorm))")
                    if consecutiveNonFinite >= c.maxConsecutiveNonFinite {
                        throw LearnerError.tooManyNonFiniteUpdates(step: updateStep, consecutive: consecutiveNonFinite)
                    }
                    continue
                }
                consecutiveNonFinite = 0
                if c.maxGradientNorm > 0 { GradientClipping.clip(policy.parameters, maxNorm: c.maxGradientNorm) }
                let rate = c.learningRateSchedule.rate(base: c.learningRate, finalFraction: c.finalLearningRateFraction, progress: budgetProgress)
                optimizer.update(learningRate: rate)
                policy.zeroGradients()
                updateStep += 1
                stats.updatesApplied += 1
                stats.learningRate = rate
                stats.gradientNorm += gradientNorm
                stats.policyLoss += terms.policy * Float(terms.count)
                stats.valueLoss += terms.value * Float(terms.count)
                stats.entropy += terms.entropy * Float(terms.count)
                stats.totalLoss += terms.total * Float(terms.count)
                clippedCount += terms.clippedCount
                lossSamples += terms.count
                // A stopping role does not wait for the rest of a long update.
                if stop.isSet { break epochs }
            }
        }
        if lossSamples > 0 {
            let s = Float(lossSamples)
            stats.policyLoss /= s; stats.valueLoss /= s; stats.entropy /= s; stats.totalLoss /= s
            stats.clipFraction = Float(clippedCount) / s
            stats.gradientNorm /= Float(stats.updatesApplied)
        }

        // 6. New weights, new version; a few observations kept to check them before publication.
        if stats.updatesApplied > 0 {
            policyVersion += 1
            rows.removeAll(keepingCapacity: true)
            let total = batch.observations.count, count = min(total, Self.probeRows)
            for k in 0..<count { rows.append(k * total / count) }
            probe.gather(rows[...], from: batch.observations)
        }
        stats.policyVersion = policyVersion
        return stats
    }

    /// `count` items (samples, or environments for a recurrent core) cut into the nearest whole
    /// number of minibatches to `count / size`, at least one, of sizes as equal as can be: a batch a
    /// little over the size is one minibatch, not a full one and a few samples given a whole
    /// optimiser step of their own (33 envs × 32 steps: 1,024 + 32).
    static func minibatches(of count: Int, size: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let k = max(1, Int((Double(count) / Double(max(size, 1))).rounded()))
        return (0..<k).map { i in (i * count / k)..<((i + 1) * count / k) }
    }

    /// Loss terms of one minibatch (means over its samples).
    struct LossTerms {
        var policy: Float = 0, value: Float = 0, entropy: Float = 0, total: Float = 0
        var count = 0, clippedCount = 0
    }

    /// Forward on the minibatch's observations, the loss L = L^CLIP + c_v·L^VF − c_e·H
    /// (means over the minibatch), and its gradient accumulated into the parameters.
    /// Needs `values`, `valueTargets`, `advantages` from steps 3–4 for this batch.
    func minibatchLossAndGradient(_ batch: RolloutBatch, samples: ArraySlice<Int>) throws -> LossTerms {
        try lossAndGradient(batch, rows: samples, sequence: nil)
    }

    /// The recurrent core's minibatch: all T steps of `envs`, time-major, unrolled from
    /// each env's stored core state; the loss covers the steps not dropped for lag.
    func minibatchLossAndGradient(_ batch: RolloutBatch, envs: ArraySlice<Int>) throws -> LossTerms {
        let sequence = coreSequence(batch, envs: envs, steps: batch.timeSteps, rows: &rows)
        return try lossAndGradient(batch, rows: rows[...], sequence: sequence)
    }

    /// Rows t·B + b for t < steps and b in `envs` (time-major, the order the core unrolls
    /// in), with each env's stored initial state and an episode start after every done.
    private func coreSequence(_ batch: RolloutBatch, envs: some Collection<Int>, steps: Int, rows: inout [Int]) -> CoreSequence {
        let B = batch.envCount, H = policy.coreStateSize
        rows.removeAll(keepingCapacity: true)
        var starts: [UInt8] = []
        starts.reserveCapacity(steps * envs.count)
        for t in 0..<steps {
            for b in envs {
                rows.append(t * B + b)
                let previous = (t - 1) * B + b
                starts.append(t > 0 && (batch.dones[previous] != 0 || batch.truncated[previous] != 0) ? 1 : 0)
            }
        }
        var initial: [Float] = []
        initial.reserveCapacity(envs.count * H)
        for b in envs { initial.append(contentsOf: batch.coreStates[(b * H)..<((b + 1) * H)]) }
        return CoreSequence(timeSteps: steps, initialState: initial, episodeStarts: starts)
    }

    /// The loss and its gradient over the kept samples among `rows` (all of `rows` are
    /// run through the network, in order; rows past the last sample, the bootstrap
    /// observations, get no gradient). `outputs`: the network's outputs for exactly these
    /// rows from a forward pass just made (step 3), so none is made here.
    private func lossAndGradient(_ batch: RolloutBatch, rows forwardRows: ArraySlice<Int>, sequence: CoreSequence?,
                                 outputs: (logits: Tensor, values: Tensor)? = nil) throws -> LossTerms {
        let c = configuration, a = c.policy.actionCount, n = batch.sampleCount
        let samples = forwardRows.filter { $0 < n && isKept[$0] }
        let m = samples.count
        var terms = LossTerms()
        guard m > 0 else { return terms }
        let logits: Tensor, predicted: Tensor
        if let outputs {
            (logits, predicted) = outputs
        } else {
            minibatch.gather(forwardRows, from: batch.observations)
            (logits, predicted) = try policy.forward(minibatch, sequence: sequence)
        }

        // Advantage normalisation statistics over this minibatch (treated as constants).
        var mean: Float = 0, std: Float = 1
        if c.normalizeAdvantages && m > 1 {
            mean = samples.reduce(Float(0)) { $0 + advantages[$1] } / Float(m)
            let variance = samples.reduce(Float(0)) { $0 + (advantages[$1] - mean) * (advantages[$1] - mean) } / Float(m)
            std = variance.squareRoot() + 1e-8
        }

        terms.count = m
        gradLogits.resize([forwardRows.count, a])
        gradValues.resize([forwardRows.count])
        gradLogits.zero()
        gradValues.zero()
        if logProbRow.count != a { logProbRow = [Float](repeating: 0, count: a) }
        let scale = 1 / Float(m)
        logits.data.withUnsafeBufferPointer { z in
            gradLogits.data.withUnsafeMutableBufferPointer { dz in
                logProbRow.withUnsafeMutableBufferPointer { lp in
                    for (k, i) in forwardRows.enumerated() where i < n && isKept[i] {
                        let row = dz.baseAddress! + k * a
                        LogSoftmax.apply(z.baseAddress! + k * a, lp.baseAddress!, rows: 1, features: a)
                        let action = Int(batch.actions[i])

                        // Entropy bonus −c_e·H: gradient −c_e·dH/dz, written first.
                        let h = PPOLoss.entropy(logProbs: lp.baseAddress!, count: a, gradLogits: row)
                        for j in 0..<a { row[j] *= -c.entropyCoefficient * scale }

                        // Clipped surrogate L^CLIP on r = π_θ/μ: d/dz_j log π(a) = 1[j=a] − p_j.
                        let advantage = (advantages[i] - mean) / std
                        let surrogate = PPOLoss.clippedSurrogate(logRatio: lp[action] - batch.behaviourLogProbs[i],
                                                                 advantage: advantage, clip: c.ppoClip)
                        let g = surrogate.gradLogProb * scale
                        if g != 0 {
                            for j in 0..<a { row[j] -= g * expf(lp[j]) }
                            row[action] += g
                        }

                        // Value loss L^VF against the V-trace target.
                        let v = PPOLoss.valueLoss(value: predicted.data[k], target: valueTargets[i], oldValue: values[i], clip: c.valueClip)
                        gradValues.data[k] = c.valueLossCoefficient * v.gradValue * scale

                        terms.policy += surrogate.loss * scale
                        terms.value += v.loss * scale
                        terms.entropy += h * scale
                        if surrogate.clipped { terms.clippedCount += 1 }
                    }
                }
            }
        }
        terms.total = terms.policy + c.valueLossCoefficient * terms.value - c.entropyCoefficient * terms.entropy
        policy.backward(gradLogits: gradLogits, gradValues: gradValues)
        return terms
    }

    /// Step 3: values for all (T+1)·B observations and log π of the taken actions, in
    /// minibatch-sized chunks, or in one chunk when `inOneChunk`. A recurrent core is
    /// unrolled over all T+1 rows of each env, so V(x_T) sees the state the rollout ended
    /// in. Returns the last chunk's outputs (its rows are left in `rows`): with one chunk,
    /// the whole batch's forward pass, ready for `backward`.
    @discardableResult
    private func evaluate(_ batch: RolloutBatch, inOneChunk: Bool) throws -> (logits: Tensor, values: Tensor)? {
        let total = batch.observations.count, n = batch.sampleCount, a = configuration.policy.actionCount
        values.resize(to: total)
        targetLogProbs.resize(to: n)
        if logProbRow.count != a { logProbRow = [Float](repeating: 0, count: a) }
        let T = batch.timeSteps, B = batch.envCount
        let envsPerChunk = inOneChunk ? B : max(1, configuration.minibatchSize / (T + 1))
        let rowsPerChunk = inOneChunk ? total : configuration.minibatchSize
        var start = 0
        var last: (logits: Tensor, values: Tensor)?
        while start < (policy.isRecurrent ? B : total) {
            let logits: Tensor, v: Tensor
            if policy.isRecurrent {
                let end = min(start + envsPerChunk, B)
                let sequence = coreSequence(batch, envs: start..<end, steps: T + 1, rows: &rows)
                minibatch.gather(rows[...], from: batch.observations)
                (logits, v) = try policy.forward(minibatch, sequence: sequence)
                start = end
            } else {
                let end = min(start + rowsPerChunk, total)
                rows.removeAll(keepingCapacity: true)
                rows.append(contentsOf: start..<end)
                minibatch.gather(rows[...], from: batch.observations)
                (logits, v) = try policy.forward(minibatch)
                start = end
            }
            for (k, i) in rows.enumerated() {
                values[i] = v.data[k]
                guard i < n else { continue }
                logits.data.withUnsafeBufferPointer { z in
                    logProbRow.withUnsafeMutableBufferPointer { lp in
                        LogSoftmax.apply(z.baseAddress! + k * a, lp.baseAddress!, rows: 1, features: a)
                    }
                }
                targetLogProbs[i] = logProbRow[Int(batch.actions[i])]
            }
            last = (logits, v)
        }
        return last
    }

    /// Fisher–Yates with the learner's own generator, so runs are reproducible and the
    /// generator state can be checkpointed.
    private func shuffle(_ items: inout [Int]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            items.swapAt(i, j)
        }
    }

    // MARK: Publication and checkpoints

    /// The current weights for a `PolicyUpdate`; throws rather than publish a non-finite weight,
    /// or finite weights whose outputs are not: weights blown up by a learning rate far too high
    /// give infinite logits, and every trajectory acted with them would be refused (a recurrent
    /// core is checked from a zero state).
    public func publishableWeights() throws -> [NamedTensor] {
        let tensors = policy.namedTensors()
        if let bad = tensors.first(where: { !$0.isFinite }) { throw LearnerError.nonFiniteWeights(parameter: bad.name) }
        if probe.count > 0 {
            if probeNetwork == nil { probeNetwork = try PolicyNetwork(configuration: configuration.policy) }
            try probeNetwork!.load(namedTensors: tensors)
            let (logits, values) = try probeNetwork!.forward(probe)
            if !(logits.data.allSatisfy(\.isFinite) && values.data.allSatisfy(\.isFinite)) {
                throw LearnerError.policyDiverged(step: updateStep, learningRate: configuration.learningRate)
            }
        }
        return tensors
    }

    /// Scalars saved alongside the tensors in a checkpoint.
    struct CheckpointMetadata: Codable {
        var format = 1
        var policy: PolicyNetwork.Configuration
        var policyVersion: Int64
        var updateStep: Int
        var adamStep: Int
        var rngState: String
        var rewardNormalizer: RewardNormalizer
        var consecutiveNonFinite: Int
        var skippedNonFiniteTotal: Int
        var droppedForLagTotal: Int
    }

    /// Writes model, optimiser state, counters, reward statistics and RNG state to `url`
    /// atomically (temp file + rename). Refuses non-finite weights.
    public func save(to url: URL) throws {
        let metadata = CheckpointMetadata(
            policy: configuration.policy, policyVersion: policyVersion, updateStep: updateStep, adamStep: optimizer.step,
            rngState: String(rng.state), rewardNormalizer: rewardNormalizer, consecutiveNonFinite: consecutiveNonFinite,
            skippedNonFiniteTotal: skippedNonFiniteTotal, droppedForLagTotal: droppedForLagTotal)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try TensorFile.write(try publishableWeights() + optimizer.stateTensors(), metadata: try encoder.encode(metadata), to: url)
        logger.debug("learner state written to \(url.path) at policy version \(policyVersion)")
    }

    /// Restores everything `save(to:)` wrote; training then continues exactly as if the
    /// saving learner had gone on. The policy configuration must match.
    public func load(from url: URL) throws {
        let (tensors, data) = try TensorFile.read(from: url)
        let metadata: CheckpointMetadata
        do { metadata = try JSONDecoder().decode(CheckpointMetadata.self, from: data) } catch {
            throw LearnerError.badCheckpoint("metadata is not valid: \(error)")
        }
        guard metadata.format == 1 else { throw LearnerError.badCheckpoint("unknown format \(metadata.format)") }
        guard metadata.policy == configuration.policy else {
            throw LearnerError.badCheckpoint("policy configuration in the checkpoint differs from this learner's")
        }
        guard let rngState = UInt64(metadata.rngState) else { throw LearnerError.badCheckpoint("rngState \(metadata.rngState) is not a UInt64") }
        let model = tensors.filter { !$0.name.hasPrefix("adam.") }
        var optimizerState: [String: NamedTensor] = [:]
        for t in tensors where t.name.hasPrefix("adam.") { optimizerState[t.name] = t }
        try policy.load(namedTensors: model)
        do { try optimizer.loadState(optimizerState, step: metadata.adamStep) } catch {
            throw LearnerError.badCheckpoint("optimiser state: \(error)")
        }
        policyVersion = metadata.policyVersion
        updateStep = metadata.updateStep
        rng = SplitMix64(seed: rngState)
        rewardNormalizer = metadata.rewardNormalizer
        consecutiveNonFinite = metadata.consecutiveNonFinite
        skippedNonFiniteTotal = metadata.skippedNonFiniteTotal
        droppedForLagTotal = metadata.droppedForLagTotal
    }
}
