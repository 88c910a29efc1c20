import Dungeon
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Metrics
import YendorMetrics
import YendorLearner
import YendorNN
import YendorPolicy
import YendorRollout
import YendorVersion
import YendorWire
import ZeroMQ
import YendorSupport
import YendorTransport
import RemoteEnvironment

/// The worker role: rollout actors sharing one batched policy, connected to a learner.
///
/// It sends trajectories and receives weights over its `WorkerLink` (ZeroMQ across processes,
/// `ZeroMQWorkerLink`; an `InMemoryNetwork` in one process). It says `Hello` twice per heartbeat
/// timeout on the link's control path (which also re-registers it with a restarted learner), swaps in
/// weights as they arrive, and keeps going when the learner disappears: the link reconnects, sends
/// wait on the full outbox (backpressure), and rollouts resume when the learner is back. At the end
/// it says `Goodbye`. The learner ignores Hellos from a process that has said Goodbye (older ones
/// still queued on the control path).
public final class WorkerService: Service, Sendable {
    /// Why a worker stopped on the learner's word.
    public struct Refused: Error, CustomStringConvertible {
        public let reason: String
        /// Whether the refusal passes by itself (`Goodbye.idHeldRefusal`): the same command
        /// succeeds once the id is free, where other refusals need another configuration.
        public var passes: Bool { reason.hasPrefix(Goodbye.idHeldRefusal) }
        /// The learner's Goodbye says "refused: why"; said once.
        public var description: String { "the learner refused this worker: \(reason.hasPrefix("refused: ") ? String(reason.dropFirst(9)) : reason)" }
    }

    public let configuration: TrainingConfiguration
    public let workerID: String
    /// A random tag of this process, sent in its Hello (`instance`): a learner refusing a Hello
    /// that claims the id of a live member from another process addresses the refusal to
    /// `id#instance`, so only the claimant stops.
    let instance: String
    /// A new random `instance` tag.
    public static func newInstance() -> String { String(UInt64.random(in: 1...UInt64.max), radix: 16) }
    /// Where the weights come from (for log lines).
    let weights: String
    /// The replay role taking the trajectories instead of the learner, if one does.
    let replayEndpoint: String?
    /// The pid of the parent process that runs the learner, when it does (`train --workers N`).
    let parentLearner: Int32?
    /// Where the trajectories (and Hellos) go, for log lines ("in process" with an in-process link).
    let trajectoriesEndpoint: String
    /// Who takes the trajectories, for log lines.
    var receiver: String { replayEndpoint.map { "the replay role at \($0)" } ?? "the learner" }
    /// For environment servers (`env.kind=server`), which the rollout actors reach over ZeroMQ.
    let context: Context
    /// Opens the worker's end of its link to the learner.
    private let connect: @Sendable () async throws -> any WorkerLink
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// Set once the first Hello has left: rollouts start after it.
    private let firstHelloSent = Atomic<Bool>(false)
    /// Set when the learner said it went away (a restart): trajectories wait until a Hello has
    /// reached the learner that came back, or they arrive before it and are dropped (each socket
    /// reconnects on its own backoff, the trajectories' often first).
    private let awaitingReadmission = Atomic<Bool>(false)
    /// When the learner said it went away: a Hello before it is heard again would reach the old one.
    private let learnerGoneAt = Mutex(0.0)
    /// Set when the learner announced the end of training (`Goodbye("*", "finished")`).
    private let learnerFinished = Atomic<Bool>(false)
    private let learnerLastSeen = Mutex<Double>(Clock.now)
    /// Rollouts finished and not (yet) handed to the link: at a stop, the last ones may still wait
    /// for room in the outbox, and what the deadline cuts off is counted as unsent.
    private let rolloutsWaiting = Atomic<Int>(0)
    /// Set at a stop: the last rollouts' hand-over and the outbox's flush share this one leave timeout.
    private let leaveDeadline = Mutex<ContinuousClock.Instant?>(nil)
    private let dropLog = Mutex(LogThrottle())
    /// The role's metrics, labelled with the role and the worker id (served at `/metrics` with
    /// `run.prometheus_port`): `env_steps`, `rollout/episodes`, `rollout/trajectories_sent`
    /// (counters of what was sent), `rollout/sps`, `rollout/outbox_depth`, `rollout/policy_version`,
    /// `transport/frames_dropped` (and `…/<reason>`) for what it refused from the learner's side, and
    /// `transport/trajectory_connections_renewed` (after a partition, `renewStaleConnection`).
    public let metrics: MetricsRegistry
    private let stepsSent: Counter, episodesSent: Counter, trajectoriesSent: Counter, framesDropped: Counter, connectionsRenewed: Counter
    private let policyVersionSent: Gauge, stepsPerSecond: Gauge, outboxDepth: Gauge
    /// Trajectories sent so far.
    var batchesSent: Int { Int(metrics["rollout/trajectories_sent"]) }
    /// Trajectories made and waiting for room in the outbox.
    var trajectoriesAwaitingRoom: Int { rolloutsWaiting.load(ordering: .relaxed) }
    /// Whether a stopping worker waits for its last trajectories to enter the outbox.
    var isHandingOver: Bool { leaveDeadline.withLock { $0 != nil } }
    /// A worker connected over ZeroMQ to the learner (or a replay role) taking trajectories at
    /// `trajectories` and publishing weights at `weights`.
    /// `parentLearner`: the worker's parent process runs its learner (`train --workers N` passes its
    /// pid): once the parent is gone, a stopping worker does not wait for that learner to take its
    /// last trajectories.
    public convenience init(configuration: TrainingConfiguration, workerID: String, trajectories: String, toReplay: Bool = false,
                            weights: String, parentLearner: Int32? = nil, context: Context, logger: Logger, metrics: MetricsRegistry? = nil) {
        let instance = Self.newInstance()
        self.init(configuration: configuration, workerID: workerID, instance: instance, weights: weights, trajectories: trajectories,
                  replayEndpoint: toReplay ? trajectories : nil, parentLearner: parentLearner, context: context, logger: logger, metrics: metrics) {
            try await ZeroMQWorkerLink.connect(configuration.transport, trajectories: trajectories, weights: weights,
                                               addressee: "\(workerID)#\(instance)", context: context)
        }
    }

    /// A worker whose link to the learner `connect` opens (e.g. `InMemoryNetwork.workerLink`).
    public init(configuration: TrainingConfiguration, workerID: String, instance: String = WorkerService.newInstance(),
                weights: String = "in process", trajectories: String = "in process",
                replayEndpoint: String? = nil, parentLearner: Int32? = nil,
                context: Context, logger: Logger, metrics: MetricsRegistry? = nil,
                connect: @escaping @Sendable () async throws -> any WorkerLink) {
        self.configuration = configuration
        self.instance = instance
        self.parentLearner = parentLearner
        self.workerID = workerID
        let metrics = metrics ?? MetricsRegistry(role: "worker", dimensions: [("worker", workerID)])
        self.metrics = metrics
        stepsSent = Counter(label: "env_steps", factory: metrics)
        episodesSent = Counter(label: "rollout/episodes", factory: metrics)
        trajectoriesSent = Counter(label: "rollout/trajectories_sent", factory: metrics)
        framesDropped = Counter(label: "transport/frames_dropped", factory: metrics)
        connectionsRenewed = Counter(label: "transport/trajectory_connections_renewed", factory: metrics)
        policyVersionSent = Gauge(label: "rollout/policy_version", factory: metrics)
        stepsPerSecond = Gauge(label: "rollout/sps", factory: metrics)
        outboxDepth = Gauge(label: "rollout/outbox_depth", factory: metrics)
        outboxDepth.record(0)  // a level, 0 at start (a never-set gauge reads as absent)
        self.weights = weights
        self.trajectoriesEndpoint = trajectories
        self.replayEndpoint = replayEndpoint
        self.context = context
        self.connect = connect
        self.logger = logger
    }

    public func run() async throws {
        let c = configuration
        let network = try PolicyNetwork(configuration: c.resolvedLearner.policy)
        // A stable hash of the id, so seeds do not depend on Swift's randomised hashing.
        let workerSeed = SplitMix64.derive(c.run.seed, StableHash.of(workerID))
        let batcher = InferenceBatcher(network: network, seed: workerSeed)
        // Env servers not up yet are waited for (a cluster starts workers and their servers
        // together): on a thread of its own, not the cooperative pool's, and a stop ends the wait.
        let opening = StopFlag()
        let actors: [RolloutWorker]
        do {
            actors = try await withGracefulShutdownHandler {
                try await OwnThread.run { [c, workerID, context, logger] in
                    try (0..<c.env.actors).map { a in
                        var environment = c.environment
                        environment.servers = c.servers(forActor: a)
                        environment.waitForServers = true
                        return try RolloutWorker(configuration: .init(
                            environment: environment, envs: c.env.envsPerActor, rolloutLength: c.env.rolloutLength,
                            seed: SplitMix64.derive(workerSeed, UInt64(a)), workerID: workerID),
                            batcher: batcher, context: context, logger: logger, stop: opening)
                    }
                }
            } onGracefulShutdown: {
                opening.set()
            }
        } catch is CancellationError {
            logger.info("worker \(workerID) stopped while waiting for its env servers")
            return
        }
        // What the actors host: env servers decide their own counts.
        let envs = actors.reduce(0) { $0 + $1.envCount }
        // Connected once the actors exist: a worker whose environments cannot be made opens nothing.
        let link = try await connect()
        logger.info("worker \(workerID) connecting", metadata: ["weights": "\(weights)",
                                                              "envs": "\(envs)"])
        var failure: Error?
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Loop.self) { group in
                    group.addTask { try await self.subscriberLoop(link: link, batcher: batcher); return .other }
                    group.addTask { await self.helloLoop(link: link, envs: envs, actors: actors, batcher: batcher); return .other }
                    group.addTask { await self.reportLoop(link: link, actors: actors); return .other }
                    group.addTask {
                        // Give the learner a moment to send current weights, so the first rollouts are
                        // not stale. A child of the group, so a refusal meanwhile (the subscriber
                        // throws) cancels the wait and no rollout starts.
                        for _ in 0..<50 where !(await batcher.hasWeights && self.firstHelloSent.load(ordering: .relaxed))
                            && !self.stopping.load(ordering: .relaxed) {
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        if !self.stopping.load(ordering: .relaxed), !(await batcher.hasWeights) {
                            self.logger.notice("no weights from the learner after 5 s: rolling out with this worker's initial weights (policy version 0) until they come; the trajectories wait in the outbox while the learner is unreachable")
                        }
                        // Each actor's loop ends at a stop once its last trajectory is handed over; the
                        // first failure ends them all.
                        try await withThrowingTaskGroup(of: Void.self) { rollouts in
                            for actor in actors {
                                rollouts.addTask { try await self.rolloutLoop(actor: actor, link: link) }
                            }
                            while try await rollouts.next() != nil {}
                        }
                        return .rollouts
                    }
                    var ended = try await group.next()
                    // A stop ends the report loop at once, the rollout loops after their current
                    // rollout (the hello loop goes on until then, keeping the membership): its
                    // trajectory is paid for, and gets the leave timeout to enter the outbox (under
                    // backpressure it waits for room) before the rest is cancelled.
                    if ended != .rollouts && self.stopping.load(ordering: .relaxed) {
                        let deadline = ContinuousClock.now + (self.mayWaitToLeave ? .seconds(clamping: self.configuration.transport.leaveTimeout) : .zero)
                        self.leaveDeadline.withLock { $0 = deadline }
                        group.addTask { try? await Task.sleep(until: deadline); return .deadline }
                        while ended != .rollouts && ended != .deadline { ended = try await group.next() }
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .relaxed)
            }
        } catch is CancellationError {
        } catch {
            failure = error
        }
        let finished = learnerFinished.load(ordering: .relaxed), refused = failure is Refused
        // To a learner that said it finished, the Goodbye says it was heard (it stops telling this
        // worker) and waits for nothing. One in a parent process that is gone went with it. A refused
        // worker is no member, and a Goodbye names only an id: from a claimant of a live worker's id,
        // it would end that worker's membership.
        let goodbye = Goodbye(id: workerID, reason: failure.map { "\($0)" } ?? (finished ? "finished" : "shutdown"))
        let parentGone = parentLearner.map { getppid() != $0 } ?? false
        // With no trajectory made there is nothing to wait for (a learner that had finished before
        // this worker connected never answers: `train` on a run at its budget waited 10 s).
        let nothingMade = batchesSent == 0
        let listening = !finished && !refused && !nothingMade && mayWaitToLeave
        let flush = leaveDeadline.withLock { $0 }.map { max(.zero, $0 - .now) } ?? .seconds(clamping: configuration.transport.leaveTimeout)
        // A learner answers the Goodbye once it has taken every trajectory before it (a replay role does not).
        let closing = await link.close(sayingGoodbye: refused || parentGone ? nil : goodbye,
                                       flushingWithin: listening ? flush : .zero,
                                       acknowledgedAs: replayEndpoint == nil ? "\(workerID)#\(instance)" : nil)
        // Rollouts that finished but never entered the outbox (the deadline above cut them off) are unsent too.
        let cutOff = rolloutsWaiting.load(ordering: .relaxed)
        let renewed = Int(metrics["transport/trajectory_connections_renewed"])
        let outcome = finished ? (closing.goodbyeSaid ? "sent (the learner finished)" : "not sent (the learner finished; \(receiver) had closed)")
            : refused ? "not sent (refused: not a member)"
            : parentGone ? "not sent (the learner's process is gone)"
            : closing.acknowledged && cutOff > 0 ? "sent, acknowledged (the learner took every trajectory handed over; \(cutOff) made as the worker stopped found no room in the outbox within transport.leave_timeout_s)"
            : closing.acknowledged && renewed == 0 ? "sent, acknowledged (the learner took every trajectory)"
            // What waited on a replaced connection (a few trajectories each, too stale to train on)
            // may never have reached the learner (trial X4: 2 and 8 of ~2,500).
            : closing.acknowledged ? "sent, acknowledged (the learner took every trajectory since the last of \(renewed) connection(s) renewed after a partition; what waited on those, too stale to train on, may not have been)"
            : closing.goodbyeSaid && nothingMade ? "sent (no trajectory made: nothing to wait for)"
            : closing.goodbyeSaid && replayEndpoint == nil ? "sent, unanswered (trajectories still queued then may not have been taken; transport.leave_timeout_s)"
            : closing.goodbyeSaid ? "sent" : "not sent (\(receiver) unreachable)"
        logger.info("worker \(workerID) stopped after \(batchesSent - closing.unsent) trajectories",
                    metadata: ["unsent": "\(closing.unsent + cutOff)", "goodbye": "\(outcome)"])
        if let failure { throw failure }
    }

    /// The loops of `run`'s task group, as far as its end is concerned.
    private enum Loop { case rollouts, deadline, other }

    /// Whether a stopping worker's trajectories get the leave timeout to leave: they are paid for,
    /// and someone takes them (a replay role, or a learner heard within the heartbeat timeout whose
    /// process, for a worker of `train --workers N`, is still there).
    private var mayWaitToLeave: Bool {
        if let parentLearner, getppid() != parentLearner { return false }
        return replayEndpoint != nil || (!awaitingReadmission.load(ordering: .relaxed)
            && Clock.now - learnerLastSeen.withLock({ $0 }) <= configuration.transport.peerTimeout)
    }

    /// Counts a refused frame (`transport/frames_dropped`, and by reason) and logs it, rate-limited per reason.
    private func dropped(_ reason: String, _ what: String) {
        framesDropped.increment()
        Counter(label: "transport/frames_dropped/\(reason)", factory: metrics).increment()
        if let suppressed = dropLog.withLock({ $0.shouldLog(reason, now: Clock.now) }) {
            logger.warning("dropped \(what)\(suppressed > 0 ? " (and \(suppressed) more like it, not logged)" : "")")
        }
    }

    private func rolloutLoop(actor: RolloutWorker, link: any WorkerLink) async throws {
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            let batch = try await actor.rollout()
            rolloutsWaiting.add(1, ordering: .relaxed)
            while awaitingReadmission.load(ordering: .relaxed) && !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await link.send(batch)
            rolloutsWaiting.subtract(1, ordering: .relaxed)
            trajectoriesSent.increment()
            stepsSent.increment(by: batch.steps * batch.envs)
            episodesSent.increment(by: batch.episodes.count)
            policyVersionSent.record(Double(batch.policyVersion))
        }
    }

    /// Sets the worker's rate and backpressure gauges every `run.log_interval` seconds (at most 1 s),
    /// and with env servers `rollout/env_server_failures`, `rollout/env_server_reopen_failures` and
    /// `rollout/env_errors` (totals since the start; each failure is also logged).
    private func reportLoop(link: any WorkerLink, actors: [RolloutWorker]) async {
        let serverGauges = Self.envServerFailures(actors) == nil ? nil
            : (failures: Gauge(label: "rollout/env_server_failures", factory: metrics),
               reopen: Gauge(label: "rollout/env_server_reopen_failures", factory: metrics),
               envErrors: Gauge(label: "rollout/env_errors", factory: metrics))
        var last = (time: Clock.now, steps: 0.0)
        while !Task.isCancelled && !stopping.load(ordering: .relaxed) {
            try? await Task.sleep(for: .seconds(min(configuration.run.logInterval, 1)))
            let now = Clock.now, steps = metrics["env_steps"]
            stepsPerSecond.record((steps - last.steps) / max(now - last.time, 1e-9))
            outboxDepth.record(link.outboxDepth)
            if let serverGauges, let counts = Self.envServerFailures(actors) {
                serverGauges.failures.record(counts.server)
                serverGauges.reopen.record(counts.reopen)
                serverGauges.envErrors.record(counts.envErrors)
            }
            last = (now, steps)
        }
    }

    private func subscriberLoop(link: any WorkerLink, batcher: InferenceBatcher) async throws {
        var lastBeat: (sequence: UInt64, time: Double)?, lastBeatBehind = false
        var lastFromLearner: Double?
        while let received = await link.receive() {
            let message: WireMessage
            switch received {
            case .message(let m): message = m
            case .malformed(let error):
                dropped("decode_\(error.kindName)", "a malformed frame from the weights endpoint: \(error)")
                continue
            case .trajectory:
                dropped("unexpected_trajectory", "a trajectory from the weights endpoint")
                continue
            }
            // Only the learner's own messages show it is there: a worker pointed at another role's
            // port (an annotator's heartbeats) must still say the learner is silent.
            let fromLearner = switch message {
            case .policyUpdate, .goodbye: true
            case .heartbeat(let h): h.id == "learner"
            default: false
            }
            if fromLearner {
                let now = Clock.now
                if let heard = lastFromLearner, now - heard > configuration.transport.peerTimeout {
                    await renewStaleConnection(after: now - heard, learnerAt: Self.learnerVersion(in: message), link: link, batcher: batcher)
                }
                lastFromLearner = now
                learnerLastSeen.withLock { $0 = now }
            }
            switch message {
            case .policyUpdate(let update):
                // Weights published before this worker's first Hello left are not for it yet: the
                // learner sends its current ones when the Hello admits the worker, or refuses the
                // Hello and says why in its log (a worker that refused weights first left no trace there).
                guard firstHelloSent.load(ordering: .relaxed) else { continue }
                guard update.modelSignature == configuration.modelSignature else {
                    let spec = configuration.observationSpec.fingerprint
                    let what = update.modelSignature.contains(spec) ? "model mismatch" : "observation layout mismatch"
                    let differing = TrainingConfiguration.mismatchSaid(learner: update.modelSignature, worker: configuration.modelSignature,
                                                                       workerCalled: "this worker")
                    throw Refused(reason: "\(what) (\(differing)): the learner's weights are for [\(update.modelSignature)], this worker runs [\(configuration.modelSignature)]")
                }
                let tensors = update.tensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.floats() ?? []) }
                let first = !(await batcher.hasWeights)
                do {
                    try await batcher.update(version: Int64(clamping: update.version), tensors: tensors)
                    if first { logger.info("received weights, policy version \(update.version)") }
                } catch {
                    dropped("bad_weights", "weights of policy version \(update.version) that do not load (\(error)); acting on with the weights this worker has")
                }
            case .heartbeat(let h) where h.id == "learner":
                // A learner process counts its heartbeats from 0: one that counts again is a new
                // process (killed and started again, no Goodbye), which has not admitted this worker.
                // Trajectories wait for a Hello to it, which goes at once (it is heard).
                if let last = lastBeat, h.sequence < last.sequence, replayEndpoint == nil, !awaitingReadmission.load(ordering: .relaxed) {
                    logger.warning("the learner started again (its heartbeats count from \(h.sequence), after \(last.sequence)); saying Hello before more trajectories go")
                    learnerGoneAt.withLock { $0 = 0 }
                    awaitingReadmission.store(true, ordering: .relaxed)
                    // After a silence (a node that vanished) the old trajectory connection may be
                    // half-open, waiting minutes for TCP; what it holds was for the process that is gone.
                    if Clock.now - last.time > configuration.transport.peerTimeout { await link.reconnect(trajectories: true) }
                }
                lastBeat = (h.sequence, Clock.now)
                // Two heartbeats in a row below this worker's weights: one alone is weights that
                // overtook it (the learner read its version, then published newer weights before
                // the heartbeat went; trial C took it for a learner that went back).
                let version = Int64(clamping: h.policyVersion), behind = await batcher.isAhead(of: version)
                if behind && lastBeatBehind, let own = await batcher.learnerHas(version: version) {
                    logger.warning("the learner is at policy version \(h.policyVersion), below this worker's \(own): it went back (restarted from an older checkpoint or from scratch); its next weights replace these")
                }
                lastBeatBehind = behind
            case .goodbye(let g) where g.isAcknowledgement:
                break  // of a Goodbye: this worker's is awaited only as it closes (`WorkerLink.close`)
            case .goodbye(let g) where g.id == workerID || g.id == "\(workerID)#\(instance)":
                throw Refused(reason: PeerID.escaped(g.reason))
            case .goodbye(let g) where g.id == "*" && g.reason == "finished":
                logger.info("learner finished training; worker stopping")
                learnerFinished.store(true, ordering: .relaxed)
                stopping.store(true, ordering: .relaxed)
                throw CancellationError()
            case .goodbye(let g) where g.id == "*":
                logger.warning("learner went away (\(PeerID.escaped(g.reason, limit: 200))); waiting for it to return")
                // Trajectories go to the learner only after a Hello to the one that returns; a
                // replay role takes them meanwhile.
                if replayEndpoint == nil {
                    learnerGoneAt.withLock { $0 = Clock.now }
                    awaitingReadmission.store(true, ordering: .relaxed)
                }
            default:
                break
            }
        }
    }

    /// The learner's policy version that `message` tells, if it tells one.
    static func learnerVersion(in message: WireMessage) -> Int64? {
        switch message {
        case .policyUpdate(let u): Int64(clamping: u.version)
        case .heartbeat(let h): Int64(clamping: h.policyVersion)
        default: nil
        }
    }

    /// The first word from the learner after `silence` (longer than the peer timeout: a partition,
    /// a paused learner). What waits on the old trajectory connection after a partition leaves
    /// only at TCP's next retransmission, up to minutes after the link is back, and rollouts wait
    /// behind it. When the learner has meanwhile moved more than `learner.max_policy_lag` versions
    /// past the weights this worker acts with, it would drop all of that as stale: a fresh
    /// connection then loses nothing it would train on. A learner that did not move (paused,
    /// starved of CPU, or with no other worker) takes them on the old connection.
    private func renewStaleConnection(after silence: Double, learnerAt version: Int64?, link: any WorkerLink,
                                      batcher: InferenceBatcher) async {
        guard replayEndpoint == nil, let version, !awaitingReadmission.load(ordering: .relaxed) else { return }
        let own = await batcher.policyVersion, lag = configuration.learner.maxPolicyLag
        guard version - own > lag else { return }
        logger.notice("""
            the learner is heard again after \(Int(silence)) s, at policy version \(version): more than learner.max_policy_lag \
            (\(lag)) past this worker's \(own), so the trajectories still queued for it would be dropped as stale. \
            Sending on a fresh connection instead of waiting for the old one to retransmit
            """)
        connectionsRenewed.increment()
        await link.reconnect(trajectories: true)
    }

    /// The env-server failures of `actors` summed, nil when none steps env servers.
    private static func envServerFailures(_ actors: [RolloutWorker]) -> (server: Int, reopen: Int, envErrors: Int)? {
        let counts = actors.compactMap(\.envServerFailures).map { $0() }
        guard !counts.isEmpty else { return nil }
        return (counts.reduce(0) { $0 + $1.serverFailures }, counts.reduce(0) { $0 + $1.reopenFailures },
                counts.reduce(0) { $0 + $1.envErrors })
    }

    private func helloLoop(link: any WorkerLink, envs: Int, actors: [RolloutWorker], batcher: InferenceBatcher) async {
        let c = configuration
        // With env servers, each Hello also says how many failed so far, so the learner's metrics
        // file, TensorBoard and `yendor status` show them, not only this worker's /metrics.
        func hello() async -> Hello {
            var capabilities = [
                ("obs_layout", c.observationSpec.fingerprint), ("model", c.modelSignature),
                ("trajectory", c.trajectoryValidator.fingerprint), ("task", c.env.task),
                ("envs", "\(envs)"), ("pid", "\(getpid())"), ("instance", instance),
                (YendorVersion.capability, YendorVersion.description),
            ]
            let costs = actors.compactMap(\.envStepCost)
            if !costs.isEmpty {
                // What the hosted envs cost, for the learner's `rollout/env_step_cpu_us`.
                capabilities.append((EnvStepCost.keys.seconds, String(format: "%.6f", costs.reduce(0) { $0 + $1.cpuSeconds })))
                capabilities.append((EnvStepCost.keys.steps, "\(costs.reduce(0) { $0 + $1.steps })"))
            }
            if let counts = Self.envServerFailures(actors) {
                capabilities.append(("env_server_failures", "\(counts.server)"))
                capabilities.append(("env_server_reopen_failures", "\(counts.reopen)"))
                capabilities.append(("env_errors", "\(counts.envErrors)"))
            }
            // The weights the learner published as this worker joined are lost when the weights
            // socket had not connected yet (PUB drops them: a slow joiner); this asks again.
            if !(await batcher.hasWeights) { capabilities.append(("weights", "none")) }
            return Hello(role: "worker", id: workerID, capabilities: capabilities)
        }
        let timeout = c.transport.peerTimeout
        // Backpressure is normal (rollouts are often faster than training), so it is worth one line
        // at most once a minute: the outbox was full at three heartbeats in a row.
        var fullTicks = 0, lastBackpressureNote = -Double.infinity
        // A Hello as soon as the control connection takes one (so the learner sends weights), then
        // as `HelloSchedule` says. A Hello that finds no connection or a full queue is retried at
        // the next tick.
        // The first Hello as soon as the control connection takes it (it may not be connected yet):
        // rollouts wait for it, or their first trajectories reach the learner before it has
        // admitted this worker and are dropped.
        // A connection that never comes (a wrong host or port, a CURVE key the learner refuses) is
        // said once a peer timeout has passed, and said again if it comes later.
        let waitingSince = Clock.now
        var saidUnreachable = false
        while !Task.isCancelled && !stopping.load(ordering: .relaxed), !(await link.trySendControl(.hello(await hello()))) {
            if !saidUnreachable && Clock.now - waitingSince > timeout {
                let target = replayEndpoint == nil ? "\(receiver) at \(trajectoriesEndpoint)" : receiver
                if link.refusedByAuthentication {
                    // The handshake reached it and was refused: not a role that is down.
                    let key = TransportConfiguration.publicKey(ofSecretKeyFile: c.transport.curveSecretKeyFile)
                    logger.error("\(target) refused this worker's CURVE key\(key.map { " (public key \($0))" } ?? ""): it is not on the allow-list there (transport.curve_allowed_clients); add its .pub file to it. Still trying.")
                } else {
                    let who = replayEndpoint == nil ? "the learner" : "the replay role"
                    let curve = c.transport.curveEnabled
                        ? " With CURVE on, \(who) also refuses a key not on its allow-list, or a transport.curve_server_key that is not its own." : ""
                    let settings = replayEndpoint == nil ? "--learner, transport.trajectories" : "--replay, transport.replay"
                    if let host = EndpointHost(endpoint: replayEndpoint ?? trajectoriesEndpoint), let failure = await host.resolutionFailure() {
                        logger.warning("no connection to \(target) after \(Int(timeout)) s: its host \(host.name) does not resolve (\(failure)); check \(settings). Still trying.")
                    } else {
                        logger.warning("no connection to \(target) after \(Int(timeout)) s: is it running there (\(settings))? Still trying.\(curve)")
                    }
                }
                saidUnreachable = true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // The loop also ends on a stop: only a Hello that went is a connection.
        guard !Task.isCancelled && !stopping.load(ordering: .relaxed) else { return }
        if saidUnreachable { logger.info("connected to \(receiver)") }
        firstHelloSent.store(true, ordering: .relaxed)
        var silence = LearnerSilence(timeout: timeout, connectedAt: Clock.now)
        var schedule = HelloSchedule(every: c.transport.heartbeatMisses / 2, sent: batchesSent)
        // A stopping worker goes on saying Hello while its last rollouts finish (`run` cancels this
        // loop before its Goodbye): with envs slower than a peer timeout per rollout, its learner
        // timed it out as it stopped (trial G).
        while !Task.isCancelled {
            // After the learner went away: a Hello as soon as the control connection takes one,
            // then the held trajectories go.
            while awaitingReadmission.load(ordering: .relaxed) && !Task.isCancelled && !stopping.load(ordering: .relaxed) {
                let back = learnerLastSeen.withLock { $0 } > learnerGoneAt.withLock { $0 }
                if back, await link.trySendControl(.hello(await hello())) {
                    awaitingReadmission.store(false, ordering: .relaxed)
                    logger.info("said Hello to the learner again; rollouts go on")
                    schedule.readmitted()
                    break
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            let now = Clock.now, lastHeard = learnerLastSeen.withLock { $0 }
            switch silence.check(now: now, lastHeard: lastHeard) {
            case .wentSilent(let seconds)?:
                // In one process there is no network to retry: a learner silent there is busy or
                // starved of CPU (trial W read the network wording as a fault).
                logger.warning(weights.hasPrefix("inproc://")
                               ? "no word from the learner in this process for \(Int(seconds)) s (busy, or the machine is loaded); waiting"
                               : "no word from the learner at \(weights) for \(Int(seconds)) s; retrying with backoff")
                // The trajectories already sent wait on their connection for a learner that is only
                // paused; subscriberLoop renews it for one that cannot take them.
                await link.reconnect(trajectories: false)
            case .cameBack?:
                logger.info("learner is back")
                schedule.learnerCameBack(sent: batchesSent)
            case nil:
                break
            }
            let full = link.outboxDepth >= link.outboxCapacity
            let sent = batchesSent
            if schedule.wantsHello(outboxFull: full, sent: sent), await link.trySendControl(.hello(await hello())) {
                schedule.said(sent: sent)
            }
            schedule.advance()
            fullTicks = full ? fullTicks + 1 : 0
            // A silent learner is said above; a full outbox then says nothing more.
            if fullTicks >= 3 && (silence.isHeard(now: now, lastHeard: lastHeard) || replayEndpoint != nil) && Clock.now - lastBackpressureNote > 60 {
                let behind = replayEndpoint == nil ? "" : " (or its learner is slow or unreachable: the replay role's log says which)"
                logger.notice("outbox full at 3 heartbeats in a row: \(receiver) takes trajectories slower than they come, or is down\(behind); rollouts wait (backpressure)")
                lastBackpressureNote = Clock.now
            }
            try? await Task.sleep(for: .seconds(clamping: c.transport.heartbeatInterval))
        }
    }
}
