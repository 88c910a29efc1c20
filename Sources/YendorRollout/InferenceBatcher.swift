import Foundation
import YendorEnvironment
import YendorNN
import YendorPolicy
import YendorSupport

/// Batched policy inference shared by the rollout actors of one worker process (`yendor evaluate`
/// gives each actor its own, so that a seed replays the same episodes).
///
/// Batching is greedy: when the network is idle a request runs at once with whatever else is
/// waiting; requests that arrive during a forward pass form the next batch. With two actors this
/// becomes Sample Factory's alternation — one actor steps its envs while the other's observations go
/// through the network — so neither core idles, and with more actors batches grow by themselves.
///
/// New weights are swapped in between forward passes, never during one; each result carries the
/// policy version that produced it.
///
/// With a recurrent policy each request also carries its envs' core state, and gets back the
/// state after the step; the batcher keeps no per-env state of its own.
public actor InferenceBatcher {
    /// What one request gets back.
    public struct Result: Sendable {
        public var actions: [Int32]
        public var logProbs: [Float]
        public var values: [Float]
        public var policyVersion: Int64
        /// Core state after this step, [count, coreStateSize] (empty for a non-recurrent policy).
        public var coreState: [Float] = []
    }

    private struct Request {
        let observations: ObservationBatch
        let coreState: [Float]
        let continuation: CheckedContinuation<Result, Error>
    }

    private let engine: Engine
    private var pending: [Request] = []
    private var running = false
    private var nextWeights: (version: Int64, tensors: [NamedTensor])?
    /// The version of the weights the running forward pass is loading, if it is.
    private var loadingVersion: Int64?
    /// The version of the weights used by the latest forward pass.
    public private(set) var policyVersion: Int64 = 0
    /// Forward passes and samples so far (their ratio is the mean inference batch size; tests check it).
    public private(set) var forwardPasses = 0, samples = 0

    /// Floats of recurrent core state per env (0 for a non-recurrent policy).
    public nonisolated let coreStateSize: Int
    /// The observations the policy reads.
    public nonisolated let observationSpec: ObservationSpec
    /// The network's parameters, for checking weights before they are queued.
    private nonisolated let parameterShapes: [(name: String, shape: [Int])]
    /// Set when the learner's heartbeat shows a version below the one this worker acts with: the
    /// learner went back, so its next weights are taken whatever their version.
    private var learnerWentBack = false

    /// - Parameters:
    ///   - seed: seeds action sampling, so a worker's actions are reproducible.
    ///   - selection: sampled actions (training), or the most probable (`yendor evaluate --greedy`).
    public init(network: PolicyNetwork, seed: UInt64, selection: PolicyNetwork.ActionSelection = .sample) {
        engine = Engine(network: network, seed: seed, selection: selection)
        coreStateSize = network.coreStateSize
        observationSpec = network.configuration.observation
        parameterShapes = network.parameterShapes
    }

    /// Queues new weights; they are loaded before the next forward pass. An older version is ignored
    /// (a resend that crossed a newer update), unless the learner went back (`learnerHas`). Weights
    /// that would not load (a missing or misshapen tensor, a NaN) throw here and change nothing: the
    /// actors act on with the weights they have.
    public nonisolated func update(version: Int64, tensors: [NamedTensor]) async throws {
        // Checked before entering the actor: actors' requests for a forward pass do not wait for it.
        try PolicyNetwork.check(tensors, against: parameterShapes)
        await queue(version: version, tensors: tensors)
    }

    private func queue(version: Int64, tensors: [NamedTensor]) {
        // The learner's first weights are taken whatever their version: a fresh learner's are
        // version 0, this batcher's own start (ignored, the worker waited for weights that had come).
        guard learnerWentBack || version > ownVersion || !weightsArrived else { return }
        nextWeights = (version, tensors)
        learnerWentBack = false
        weightsArrived = true
    }

    /// The learner's heartbeat: `version` is its newest policy. Below the one this worker has, the
    /// learner went back (restarted from an older checkpoint, or from scratch) and the weights here
    /// belong to a run it no longer has: its next weights replace them whatever their version.
    /// Returns the version this worker had when this is news (for the worker's log), else nil.
    public func learnerHas(version: Int64) -> Int64? {
        let own = ownVersion
        guard version < own, !learnerWentBack else { return nil }
        learnerWentBack = true
        return own
    }

    /// Whether `version` is below the weights this worker has (what `learnerHas` would act on).
    public func isAhead(of version: Int64) -> Bool { version < ownVersion }

    /// This batcher's own version: the weights taken last, queued, loading or acted with. Those
    /// taken are always newer, except the learner's first after it went back, which replace the
    /// older run's that actors may still act with until they load them (the largest version here
    /// said the learner went back again at each of its versions until then).
    private var ownVersion: Int64 { nextWeights?.version ?? loadingVersion ?? policyVersion }

    /// Whether any weights arrived from the learner yet (a fresh learner's are version 0).
    public var hasWeights: Bool { weightsArrived }
    private var weightsArrived = false

    /// Samples actions for `observations`, batched with other actors' requests. A recurrent
    /// policy needs `coreState` ([count, coreStateSize], the state entering this step).
    public func act(_ observations: ObservationBatch, coreState: [Float] = []) async throws -> Result {
        guard coreState.count == observations.count * coreStateSize else {
            throw LearnerError.badObservation("core state has \(coreState.count) floats, expected \(observations.count) × \(coreStateSize)")
        }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Request(observations: observations, coreState: coreState, continuation: continuation))
            if !running {
                running = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let weights = nextWeights
            nextWeights = nil
            loadingVersion = weights?.version
            let engine = self.engine
            let inputs = batch.map(\.observations)
            let states = batch.map(\.coreState)
            // The forward pass runs off this actor so new requests can queue up meanwhile.
            let outcome = await Task.detached { () -> Swift.Result<(PolicyOutput, [Float], Int64?), Error> in
                do {
                    var loaded: Int64? = nil
                    if let weights {
                        try engine.load(weights.tensors)
                        loaded = weights.version
                    }
                    let (output, state) = try engine.run(inputs, coreStates: states)
                    return .success((output, state, loaded))
                } catch {
                    return .failure(error)
                }
            }.value
            loadingVersion = nil
            switch outcome {
            case .failure(let error):
                for r in batch { r.continuation.resume(throwing: error) }
            case .success(let (output, coreState, loaded)):
                if let loaded { policyVersion = loaded }
                forwardPasses += 1
                var offset = 0
                let h = coreStateSize
                for r in batch {
                    let n = r.observations.count
                    r.continuation.resume(returning: Result(
                        actions: Array(output.actions[offset..<offset + n]),
                        logProbs: Array(output.logProbs[offset..<offset + n]),
                        values: Array(output.values[offset..<offset + n]),
                        policyVersion: policyVersion,
                        coreState: Array(coreState[offset * h..<(offset + n) * h])))
                    offset += n
                    samples += n
                }
            }
        }
        running = false
    }

    /// The network and its sampling state. Only the single drain loop touches it, one forward pass
    /// at a time, which is what makes the unchecked Sendable safe.
    final class Engine: @unchecked Sendable {
        let network: PolicyNetwork
        var rng: SplitMix64
        var output = PolicyOutput()
        let selection: PolicyNetwork.ActionSelection

        init(network: PolicyNetwork, seed: UInt64, selection: PolicyNetwork.ActionSelection) {
            self.network = network
            rng = SplitMix64(seed: seed)
            self.selection = selection
        }

        func load(_ tensors: [NamedTensor]) throws { try network.load(namedTensors: tensors) }

        func run(_ inputs: [ObservationBatch], coreStates: [[Float]]) throws -> (PolicyOutput, coreState: [Float]) {
            if inputs.count == 1 {
                var state = coreStates[0]
                try network.act(inputs[0], coreState: &state, into: &output, using: &rng, selection: selection)
                return (output, state)
            }
            let spec = inputs[0].spec
            var all = ObservationBatch(count: inputs.reduce(0) { $0 + $1.count }, spec: spec)
            var g = 0, s = 0, c = 0, l = 0
            for input in inputs {
                all.crop.replaceSubrange(g..<g + input.crop.count, with: input.crop)
                all.blstats.replaceSubrange(s..<s + input.blstats.count, with: input.blstats)
                all.captionBytes.replaceSubrange(c..<c + input.captionBytes.count, with: input.captionBytes)
                all.captionLengths.replaceSubrange(l..<l + input.captionLengths.count, with: input.captionLengths)
                g += input.crop.count; s += input.blstats.count; c += input.captionBytes.count; l += input.captionLengths.count
            }
            var state = Array(coreStates.joined())
            try network.act(all, coreState: &state, into: &output, using: &rng, selection: selection)
            return (output, state)
        }
    }
}
