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
import YendorWire
import ZeroMQ
import YendorSupport

/// The worker role: rollout actors sharing one batched policy, connected to a learner.
///
/// It PUSHes trajectories and SUBscribes to weights. It says `Hello` twice per heartbeat timeout (which
/// also re-registers it with a restarted learner), swaps in weights as they arrive, and keeps going
/// when the learner disappears: ZeroMQ reconnects with backoff, sends wait on the full outbox
/// (backpressure), and rollouts resume when the learner is back.
///
/// `Hello`s travel on a second PUSH connection to the same learner endpoint (the control path), so
/// they are never queued behind trajectories. The `Goodbye` goes on a fresh connection opened at
/// shutdown: under backpressure the learner reads each connection only in its turn, one message per
/// trajectory it takes, so anything queued on an old connection waits for updates; and libzmq (4.3.4)
/// discards what is still in the kernel's socket buffer when a peer closes a connection whose queue
/// in the learner is full (a Goodbye behind four Hellos was lost that way under a CPU hog). A fresh
/// connection's queue in the learner is empty, so libzmq there reads the Goodbye at once, and keeps
/// it after the worker has gone. The learner ignores Hellos from a process that has said Goodbye
/// (older ones still queued on the control connection).
public final class WorkerService: Service, Sendable {
    /// Why a worker stopped on the learner's word.
    public struct Refused: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "the learner refused this worker: \(reason)" }
    }

    public let configuration: TrainingConfiguration
    public let workerID: String
    /// A random tag of this process, sent in its Hello (`instance`): a learner refusing a Hello
    /// that claims the id of a live member from another process addresses the refusal to
    /// `id#instance`, so only the claimant stops.
    let instance = String(UInt64.random(in: 1...UInt64.max), radix: 16)
    /// Endpoints to connect to (the learner's bind addresses with a reachable host).
    let trajectories: String, weights: String
    let context: Context
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// Set when the learner announced the end of training (`Goodbye("*", "finished")`).
    private let learnerFinished = Atomic<Bool>(false)
    private let learnerLastSeen = Mutex<Double>(Clock.now)
    /// The role's metrics, labelled with the role and the worker id (served at `/metrics` with
    /// `run.prometheus_port`): `env_steps`, `rollout/episodes`, `rollout/trajectories_sent`
    /// (counters of what was sent), `rollout/sps`, `rollout/outbox_depth`, `rollout/policy_version`.
    public let metrics: MetricsRegistry
    private let stepsSent: Counter, episodesSent: Counter, trajectoriesSent: Counter
    private let policyVersionSent: Gauge, stepsPerSecond: Gauge, outboxDepth: Gauge
    /// Trajectories sent so far.
    var batchesSent: Int { Int(metrics["rollout/trajectories_sent"]) }
    /// Messages the control connection may hold for a learner that does not read them.
    static let controlQueueCapacity = 4
    /// How long the `Goodbye` may wait for its connection to open, and then to reach the learner
    /// before the process exits (its socket's linger), in milliseconds.
    static let goodbyeMilliseconds = 1500

    public init(configuration: TrainingConfiguration, workerID: String, trajectories: String, weights: String,
                context: Context, logger: Logger, metrics: MetricsRegistry? = nil) {
        self.configuration = configuration
        self.workerID = workerID
        let metrics = metrics ?? MetricsRegistry(role: "worker", dimensions: [("worker", workerID)])
        self.metrics = metrics
        stepsSent = Counter(label: "env_steps", factory: metrics)
        episodesSent = Counter(label: "rollout/episodes", factory: metrics)
        trajectoriesSent = Counter(label: "rollout/trajectories_sent", factory: metrics)
        policyVersionSent = Gauge(label: "rollout/policy_version", factory: metrics)
        stepsPerSecond = Gauge(label: "rollout/sps", factory: metrics)
        outboxDepth = Gauge(label: "rollout/outbox_depth", factory: metrics)
        self.trajectories = trajectories
        self.weights = weights
        self.context = context
        self.logger = logger
    }

    public func run() async throws {
        let c = configuration, t = c.transport
        let security = try t.clientSecurity()
        // ZMTP heartbeats on the weights socket notice a dead link (a cut cable, a vanished node)
        // within a few intervals, where TCP alone can take minutes; ZeroMQ then reconnects. The PUSH
        // sockets have none: libzmq 4.3.4 aborts the *learner* (`!_io_error`, stream_engine_base.cpp)
        // when it decodes a PING from a connection that closed while the learner was not reading it,
        // i.e. whenever a worker stops under backpressure. They are reconnected by `helloLoop` instead.
        let interval = Int(t.heartbeatInterval * 1000)
        let liveness: [SocketOption] = [.heartbeatInterval(milliseconds: interval),
                                        .heartbeatTimeout(milliseconds: interval * t.heartbeatMisses),
                                        .heartbeatTTL(milliseconds: interval * t.heartbeatMisses)]
        let push = try await AsyncSocket(context: context, type: .push, name: "worker.trajectories",
                                         outboxCapacity: t.queueCapacity) { [trajectories] s in
            try s.set([.sendHighWaterMark(t.queueCapacity), .linger(milliseconds: 0), .immediate(true),
                       .reconnectInterval(milliseconds: t.reconnectMilliseconds),
                       .reconnectIntervalMax(milliseconds: t.reconnectMaxMilliseconds)] + security)
            try s.connect(trajectories)
        }
        // The control path, used only through `sendNow` (a full queue fails at once). `immediate`
        // queues nothing for a learner that is not connected. Hellos left in it at shutdown are
        // stale: no linger.
        let control = try await AsyncSocket(context: context, type: .push, name: "worker.control", outboxCapacity: 1) { [trajectories] s in
            try s.set([.sendHighWaterMark(Self.controlQueueCapacity), .linger(milliseconds: 0), .immediate(true),
                       .reconnectInterval(milliseconds: t.reconnectMilliseconds),
                       .reconnectIntervalMax(milliseconds: t.reconnectMaxMilliseconds)] + security)
            try s.connect(trajectories)
        }
        let sub = try await AsyncSocket(context: context, type: .sub, name: "worker.weights") { [weights] s in
            try s.set([.subscribe([]), .maxMessageSize(t.maxMessageMiB << 20), .linger(milliseconds: 0),
                       .reconnectInterval(milliseconds: t.reconnectMilliseconds),
                       .reconnectIntervalMax(milliseconds: t.reconnectMaxMilliseconds)] + liveness + security)
            try s.connect(weights)
        }
        let network = try PolicyNetwork(configuration: c.resolvedLearner.policy)
        // A stable hash of the id, so seeds do not depend on Swift's randomised hashing.
        let workerSeed = SplitMix64.derive(c.seed, StableHash.of(workerID))
        let batcher = InferenceBatcher(network: network, seed: workerSeed)
        var actors: [RolloutWorker] = []
        for a in 0..<c.actors {
            var environment = c.environment
            environment.servers = c.servers(forActor: a)
            actors.append(try RolloutWorker(configuration: .init(
                environment: environment, envs: c.envsPerActor, rolloutLength: c.rolloutLength,
                seed: SplitMix64.derive(workerSeed, UInt64(a)), workerID: workerID),
                batcher: batcher, policyLayout: c.policyLayout, context: context, logger: logger))
        }
        logger.info("worker \(workerID) connecting", metadata: ["trajectories": "\(trajectories)", "weights": "\(weights)",
                                                              "envs": "\(c.actors * c.envsPerActor)"])
        var failure: Error?
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.subscriberLoop(sub: sub, batcher: batcher) }
                    group.addTask { await self.helloLoop(push: push, control: control) }
                    group.addTask { await self.reportLoop(push: push) }
                    // Give the learner a moment to send current weights, so the first rollouts are not stale.
                    for _ in 0..<50 where !(await batcher.hasWeights) && !stopping.load(ordering: .relaxed) {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    for actor in actors {
                        group.addTask { try await self.rolloutLoop(actor: actor, push: push) }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .relaxed)
            }
        } catch is CancellationError {
        } catch {
            failure = error
        }
        let unsent = push.outboxDepth
        let goodbye = Goodbye(id: workerID, reason: failure.map { "\($0)" } ?? "shutdown").encoded()
        // Queued trajectories are dropped (linger 0): a stopping worker loses at most its in-flight work.
        await push.close()
        await control.close()
        // A learner that said it finished has closed its socket: a Goodbye would only wait.
        let finished = learnerFinished.load(ordering: .relaxed)
        let said = finished ? false : await sayGoodbye(goodbye, security: security)
        await sub.close()
        let outcome = finished ? "not needed (the learner finished)" : said ? "sent" : "not sent (learner unreachable)"
        logger.info("worker \(workerID) stopped after \(batchesSent) trajectories",
                    metadata: ["unsent": "\(unsent)", "goodbye": "\(outcome)"])
        if let failure { throw failure }
    }

    private func rolloutLoop(actor: RolloutWorker, push: AsyncSocket) async throws {
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            let batch = try await actor.rollout()
            try await push.send(batch.encoded())
            trajectoriesSent.increment()
            stepsSent.increment(by: batch.steps * batch.envs)
            episodesSent.increment(by: batch.episodes.count)
            policyVersionSent.record(Double(batch.policyVersion))
        }
        throw CancellationError()
    }

    /// Sets the worker's rate and backpressure gauges every `run.log_interval` seconds (at most 1 s).
    private func reportLoop(push: AsyncSocket) async {
        var last = (time: Clock.now, steps: 0.0)
        while !Task.isCancelled && !stopping.load(ordering: .relaxed) {
            try? await Task.sleep(for: .seconds(min(configuration.logInterval, 1)))
            let now = Clock.now, steps = metrics["env_steps"]
            stepsPerSecond.record((steps - last.steps) / max(now - last.time, 1e-9))
            outboxDepth.record(push.outboxDepth)
            last = (now, steps)
        }
    }

    private func subscriberLoop(sub: AsyncSocket, batcher: InferenceBatcher) async throws {
        let limits = WireLimits(maxMessageBytes: configuration.transport.maxMessageMiB << 20)
        while let parts = await sub.receive() {
            guard let frame = parts.last,
                  let message = try? frame.withUnsafeBytes({ try WireMessage.decode($0, limits: limits) }) else { continue }
            learnerLastSeen.withLock { $0 = Clock.now }
            switch message {
            case .policyUpdate(let update):
                guard update.modelSignature == configuration.modelSignature else {
                    let layout = configuration.envLayout.fingerprint
                    let what = update.modelSignature.contains(layout) ? "model mismatch" : "observation layout mismatch"
                    throw Refused(reason: "\(what): the learner's weights are for [\(update.modelSignature)], this worker runs [\(configuration.modelSignature)]")
                }
                let tensors = update.tensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values(as: Float.self) ?? []) }
                if !(await batcher.hasWeights) { logger.info("received weights, policy version \(update.version)") }
                await batcher.update(version: Int64(update.version), tensors: tensors)
            case .goodbye(let g) where g.id == workerID || g.id == "\(workerID)#\(instance)":
                throw Refused(reason: PeerID.escaped(g.reason))
            case .goodbye(let g) where g.id == "*" && g.reason == "finished":
                logger.info("learner finished training; worker stopping")
                learnerFinished.store(true, ordering: .relaxed)
                stopping.store(true, ordering: .relaxed)
                throw CancellationError()
            case .goodbye(let g) where g.id == "*":
                logger.warning("learner went away (\(PeerID.escaped(g.reason, limit: 200))); waiting for it to return")
            default:
                break
            }
        }
    }

    /// Hands one message to libzmq on the socket's own thread; false when libzmq's queue is full or
    /// no learner is connected (the message is dropped).
    private func sendNow(_ message: [UInt8], on socket: AsyncSocket) async -> Bool {
        let accepted = Atomic<Bool>(false)
        try? await socket.perform { s in accepted.store(try s.send(parts: [message], dontWait: true), ordering: .relaxed) }
        return accepted.load(ordering: .relaxed)
    }

    /// Sends the Goodbye on a fresh connection (see the type's comment), retrying for a bounded time
    /// until it is open and libzmq takes the message; closing the socket then lets it leave (linger).
    private func sayGoodbye(_ goodbye: [UInt8], security: [SocketOption]) async -> Bool {
        let t = configuration.transport
        guard let socket = try? await AsyncSocket(context: context, type: .push, name: "worker.goodbye", outboxCapacity: 1, setup: { [trajectories] s in
            try s.set([.sendHighWaterMark(1), .linger(milliseconds: Self.goodbyeMilliseconds), .immediate(true),
                       .reconnectInterval(milliseconds: t.reconnectMilliseconds)] + security)
            try s.connect(trajectories)
        }) else { return false }
        let deadline = Clock.now + Double(Self.goodbyeMilliseconds) / 1000
        var said = false
        repeat {
            said = await sendNow(goodbye, on: socket)
            if !said { try? await Task.sleep(for: .milliseconds(20)) }
        } while !said && Clock.now < deadline
        await socket.close()
        return said
    }

    private func helloLoop(push: AsyncSocket, control: AsyncSocket) async {
        let c = configuration
        let hello = Hello(role: "worker", id: workerID, capabilities: [
            ("obs_layout", c.envLayout.fingerprint), ("model", c.modelSignature),
            ("trajectory", c.trajectoryValidator.fingerprint), ("task", c.task),
            ("envs", "\(c.actors * c.envsPerActor)"), ("pid", "\(getpid())"), ("instance", instance),
        ]).encoded()
        let timeout = c.transport.heartbeatInterval * Double(c.transport.heartbeatMisses)
        var reportedSilence = false
        // Backpressure is normal (rollouts are often faster than training), so it is worth one line
        // at most once a minute: the outbox was full at three heartbeats in a row.
        var fullTicks = 0, lastBackpressureNote = -Double.infinity
        // A Hello as soon as the control connection takes one (so the learner sends weights), then
        // two per heartbeat timeout: enough to stay listed and to re-register with a restarted
        // learner. A Hello that finds no connection or a full queue is retried at the next tick.
        // Under backpressure the queued trajectories already keep this worker listed, and the
        // learner reads its two connections in turn, one message each: a Hello then waits until a
        // trajectory has left since the last one, so Hellos never pile up ahead of the Goodbye
        // however slowly the learner trains.
        let helloEvery = max(1, c.transport.heartbeatMisses / 2)
        var tick = 0, nextHello = 0, sentAtLastHello = -1
        while !Task.isCancelled && !stopping.load(ordering: .relaxed) {
            let full = push.outboxDepth >= c.transport.queueCapacity
            let sent = batchesSent
            if tick >= nextHello, !full || sent != sentAtLastHello, await sendNow(hello, on: control) {
                nextHello = tick + helloEvery
                sentAtLastHello = sent
            }
            tick += 1
            fullTicks = full ? fullTicks + 1 : 0
            if fullTicks >= 3 && Clock.now - lastBackpressureNote > 60 {
                logger.notice("outbox full at 3 heartbeats in a row: the learner takes trajectories slower than they come; rollouts wait (backpressure)")
                lastBackpressureNote = Clock.now
            }
            let silent = Clock.now - learnerLastSeen.withLock { $0 }
            if silent > timeout && !reportedSilence {
                logger.warning("no word from the learner at \(weights) for \(Int(silent)) s; retrying with backoff")
                reportedSilence = true
                // Without ZMTP heartbeats a PUSH connection to a vanished node would wait for TCP to
                // give up (minutes); a fresh connection reaches the learner as soon as it is back.
                // Trajectories queued for the old one are dropped (in-flight work).
                for socket in [push, control] {
                    try? await socket.perform { [trajectories] s in
                        try s.disconnect(trajectories)
                        try s.connect(trajectories)
                    }
                }
            } else if silent <= timeout && reportedSilence {
                logger.info("learner is back")
                reportedSilence = false
            }
            try? await Task.sleep(for: .seconds(c.transport.heartbeatInterval))
        }
    }
}
