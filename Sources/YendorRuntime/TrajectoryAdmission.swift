import YendorLearner
import YendorWire

extension TrainingConfiguration {
    /// Steps per trajectory and the policy's inputs: what every trajectory is checked against before
    /// the learner stores it, and (as its `fingerprint`) the `trajectory` capability a worker's Hello
    /// must match to be admitted.
    public var trajectoryValidator: TrajectoryValidator {
        let p = resolvedLearner.policy
        return TrajectoryValidator(rolloutLength: env.rolloutLength, actionCount: p.actionCount, spec: p.observation,
                                   coreStateSize: p.coreStateSize)
    }

    /// The learner's one batch builder: this configuration's validator, the policy's spec and
    /// `learner.batch_size`.
    public var trainingBatchBuilder: TrainingBatchBuilder {
        TrainingBatchBuilder(validator: trajectoryValidator, spec: observationSpec, batchSize: batchSize)
    }

    /// The capabilities a worker's Hello must carry, each with the value this configuration expects.
    var admissionFingerprints: [(key: String, value: String)] {
        [("obs_layout", observationSpec.fingerprint), ("model", modelSignature), ("trajectory", trajectoryValidator.fingerprint)]
    }

    /// Why the learner refuses this Hello (nil: admit it): a different protocol version, or a
    /// missing or different `obs_layout`, `model` or `trajectory` capability. Names both values.
    func admissionProblem(_ hello: Hello) -> String? {
        if hello.role != "worker" {
            return "a Hello from a \(PeerID.loggable(hello.role, limit: 40)), not a worker: a learner admits workers"
        }
        if hello.protocolVersion != Envelope.version {
            return "protocol version \(hello.protocolVersion), learner speaks \(Envelope.version)"
        }
        for (key, expected) in admissionFingerprints {
            guard let value = hello.capability(key) else {
                return "the Hello lacks the \(key) capability; the learner expects [\(expected)]"
            }
            guard value != expected else { continue }
            // The tasks too, when they differ: "actions=23 vs 28" is staircase-lvl3 against its
            // extended twin, which the researcher has to work out (trial N).
            let tasks = hello.capability("task").flatMap { $0 == env.task ? nil : "; learner task \(env.task), worker task \(PeerID.loggable($0, limit: 80))" } ?? ""
            switch key {
            case "obs_layout":
                let differing = TrainingConfiguration.mismatchSaid(learner: expected, worker: value)
                return "observation layout mismatch (\(differing)\(tasks)): learner expects [\(expected)], worker has [\(value)]"
            case "model":
                let differing = TrainingConfiguration.mismatchSaid(learner: expected, worker: value)
                return "model mismatch (\(differing)\(tasks)): learner has [\(expected)], worker has [\(value)]"
            default: return trajectoryValidator.mismatch(workerFingerprint: value) ?? "\(key) mismatch: learner [\(expected)], worker [\(value)]"
            }
        }
        return nil
    }
}

/// Each admitted worker's rejected trajectories in a row, and the workers evicted for them.
///
/// A worker whose last `limit` trajectories were all rejected is evicted: removed from membership,
/// told so (`Goodbye` with `refused: evicted …`, on which a Yendor worker stops), and its Hellos are
/// refused for `banSeconds`, after which it may join again. An accepted trajectory resets its count.
struct BadBatchStrikes: Sendable {
    /// Rejected trajectories in a row that evict a worker; 0 never evicts.
    let limit: Int
    /// Seconds an evicted worker's Hellos are refused.
    let banSeconds: Double
    /// At most this many evicted ids are remembered (the oldest is forgotten first).
    static let maxBanned = 1024
    private var strikes: [String: Int] = [:]
    private var banned: [String: Double] = [:]
    private(set) var evictions = 0

    init(limit: Int, banSeconds: Double = 60) {
        self.limit = limit
        self.banSeconds = banSeconds
    }

    /// Records a rejected trajectory; true when the worker is to be evicted now.
    mutating func strike(_ id: String, now: Double) -> Bool {
        let n = strikes[id, default: 0] + 1
        guard limit > 0, n >= limit else {
            strikes[id] = n
            return false
        }
        strikes[id] = nil
        if banned.count >= Self.maxBanned, let oldest = banned.min(by: { $0.value < $1.value })?.key { banned[oldest] = nil }
        banned[id] = now + banSeconds
        evictions += 1
        return true
    }

    /// Records an accepted trajectory.
    mutating func clear(_ id: String) { if strikes[id] != nil { strikes[id] = nil } }

    /// Forgets a worker that left or timed out.
    mutating func forget(_ id: String) { strikes[id] = nil }

    /// Seconds left on `id`'s ban, or nil when it may join.
    mutating func banRemaining(_ id: String, now: Double) -> Double? {
        guard let until = banned[id] else { return nil }
        if until <= now {
            banned[id] = nil
            return nil
        }
        return until - now
    }
}
