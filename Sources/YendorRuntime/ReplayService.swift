import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import YendorMetrics
import YendorReplay
import YendorSupport
import YendorWire
import ZeroMQ

/// The replay buffer as its own role (`yendor replay`), for off-policy reuse or to take buffering
/// off the learner's node. Workers PUSH to it; it forwards membership messages unchanged and
/// samples trajectories to the learner's PULL socket according to the sampler and rate limiter.
/// With `replay.checkpoint`, its contents are written to the run directory on shutdown and
/// restored on start, once: the file is removed once the role has started, so a crash after a
/// restart does not bring the same trajectories back a second time (they would be trained on and
/// counted twice). It stops when the learner says it finished, once the workers' Goodbyes in answer
/// have gone through (the learner says it until it has them all, then falls silent).
public final class ReplayService: Service, Sendable {
    let configuration: TrainingConfiguration
    let learnerTrajectories: String
    /// The learner's PUB endpoint, where it says it finished (`Goodbye("*", "finished")`); nil: not listened to.
    let learnerWeights: String?
    let context: Context
    let runDirectory: RunDirectory
    let logger: Logger
    /// The role's metrics (`replay/…`, and `transport/frames_dropped`), for its `/metrics` endpoint.
    public let metrics: MetricsRegistry
    private let replayMetrics: ReplayMetrics
    private let framesDropped: Counter
    /// Rate limit for the lines about malformed frames, which a peer can send at any rate.
    private let dropLog = Mutex(LogThrottle())
    /// When the learner's PUB was last heard from (a heartbeat), to say a learner that is silent.
    private let learnerLastHeard = Mutex<Double>(0)
    /// When the learner said it finished: sampling stops, and the workers' Goodbyes in answer still
    /// go through until the learner falls silent (it has closed) or a peer timeout has passed.
    private let learnerFinishedAt = Mutex<Double?>(nil)

    public init(configuration: TrainingConfiguration, learnerTrajectories: String, learnerWeights: String? = nil, context: Context,
                runDirectory: RunDirectory, logger: Logger, metrics: MetricsRegistry = MetricsRegistry(role: "replay")) {
        self.configuration = configuration
        self.learnerTrajectories = learnerTrajectories
        self.learnerWeights = learnerWeights
        self.context = context
        self.runDirectory = runDirectory
        self.logger = logger
        self.metrics = metrics
        replayMetrics = ReplayMetrics(registry: metrics)
        framesDropped = Counter(label: "transport/frames_dropped", factory: metrics)
    }

    public func run() async throws {
        let c = configuration, t = c.transport
        let file = runDirectory.root.appendingPathComponent("replay.ckpt")
        var initial = try ReplayBuffer(configuration: c.replayConfiguration)
        if c.replay.checkpoint, FileManager.default.fileExists(atPath: file.path) {
            initial = try ReplayBuffer.read(from: file, configuration: c.replayConfiguration)
            logger.info("replay buffer restored with \(initial.count) trajectories from \(file.path)")
        }
        replayMetrics.record(initial.statistics)
        let store = ReplayStore(buffer: initial)
        let serverSecurity = try t.serverSecurity(), clientSecurity = try t.clientSecurity()
        let authenticator = try t.startAuthenticator(context: context, logger: logger)
        let pull = try await AsyncSocket(context: context, type: .pull, name: "replay.in", inboxCapacity: t.queueCapacity) { s in
            try s.set([.receiveHighWaterMark(t.trajectoryReceiveHighWaterMark), .maxMessageSize(t.maxMessageMiB << 20), .linger(milliseconds: 0)]
                      + t.trajectoryReceiveOptions + serverSecurity)
            try s.bind(t.replay, setting: "transport.replay")
        }
        let push = try await AsyncSocket(context: context, type: .push, name: "replay.out", outboxCapacity: t.queueCapacity) { [learnerTrajectories] s in
            try s.set([.sendHighWaterMark(t.queueCapacity), .linger(milliseconds: 0)] + t.reconnection + t.trajectorySendBuffer + clientSecurity)
            try s.connect(learnerTrajectories)
        }
        // Only the learner's Goodbyes and heartbeats: the weights it publishes are not for this role.
        let finished: AsyncSocket?
        if let learnerWeights {
            finished = try await AsyncSocket(context: context, type: .sub, name: "replay.learner") { s in
                try s.set([.subscribe(Envelope.prefix(of: .goodbye)), .subscribe(Envelope.prefix(of: .heartbeat)), .linger(milliseconds: 0)] + t.reconnection + clientSecurity)
                try s.connect(learnerWeights)
            }
        } else {
            finished = nil
        }
        // Started: the restored contents are this process's now (a graceful stop writes them again).
        // Not before: a start that fails (a port in use, a key file missing) keeps the file.
        if c.replay.checkpoint { try? FileManager.default.removeItem(at: file) }
        logger.info("replay listening on \(t.replay), sampling to \(learnerTrajectories)", metadata: ["curve": "\(t.curveMode)"])
        if t.curveEnabled && authenticator == nil { logger.warning("\(TransportConfiguration.allowAnyWarning)") }
        let limits = WireLimits(maxMessageBytes: t.maxMessageMiB << 20)
        let unsent = await withGracefulShutdownHandler {
            // Each loop returns the sampled items it could not send; the sampler says it is the one.
            await withTaskGroup(of: (sampler: Bool, unsent: [SampledItem]).self) { group in
                group.addTask {
                    while let parts = await pull.receive(), let frame = parts.last {
                        // A trajectory is kept in the message it arrived in, checked and read in place.
                        if frame.withUnsafeBytes({ Envelope.claimedKind(of: $0) }) == .trajectoryBatch,
                           let trajectory = try? TrajectoryFrame(checking: frame, limits: limits) {
                            // Past the learner's budget nothing more is wanted; its Goodbyes still go.
                            if self.learnerFinishedAt.withLock({ $0 }) != nil { continue }
                            do {
                                if !(try await store.insert(.frame(trajectory))) {
                                    if self.learnerFinishedAt.withLock({ $0 }) != nil { continue }
                                    return (false, [])
                                }
                            } catch { self.logger.error("\(error)") }
                            self.replayMetrics.record(await store.statistics)
                        } else if let error = frame.withUnsafeBytes({ bytes -> (any Error)? in
                            do { _ = try Envelope.kind(of: bytes, limits: limits); return nil } catch { return error }
                        }) {
                            // Rate-limited and by reason, as the learner's: a peer sending garbage at
                            // any rate must not flood the log (trial C: a line per frame).
                            let reason = "decode_\((error as? WireError)?.kindName ?? "unknown")"
                            self.framesDropped.increment()
                            Counter(label: "transport/frames_dropped/\(reason)", factory: self.metrics).increment()
                            if let suppressed = self.dropLog.withLock({ $0.shouldLog(reason, now: Clock.now) }) {
                                self.logger.warning("dropped a malformed frame: \(error)\(suppressed > 0 ? " (and \(suppressed) more like it, not logged)" : "")")
                            }
                        } else {
                            // Hello, heartbeats, stats, and trajectories that do not decode (the learner judges those)
                            try? await push.send(frame.bytes)
                        }
                    }
                    return (false, [])
                }
                group.addTask {
                    while let items = await store.sample(count: 1) {
                        self.replayMetrics.record(await store.statistics)
                        for (i, item) in items.enumerated() {
                            var frame = item.trajectory.encoded()
                            // A reuse is marked, so the learner counts its env steps and episodes once.
                            if item.timesSampled > 1 { Envelope.insert(.redelivered, into: &frame) }
                            // Fails once the role stops (the send is cancelled while the learner is away).
                            do { try await push.send(frame) } catch { return (true, Array(items[i...])) }
                        }
                    }
                    return (true, [])
                }
                if let finished, let learnerWeights {
                    learnerLastHeard.withLock { $0 = Clock.now }
                    group.addTask {
                        while let parts = await finished.receive(), let frame = parts.last {
                            switch try? frame.withUnsafeBytes({ try WireMessage.decode($0, limits: limits) }) {
                            case .heartbeat(let h)? where h.id == "learner":
                                self.learnerLastHeard.withLock { $0 = Clock.now }
                            case .goodbye(let g)? where g.id == "*" && g.reason == "finished":
                                // The learner reached its budget: nothing more will be asked of this role.
                                // It says so until its workers answer, and their Goodbyes come through here.
                                self.learnerLastHeard.withLock { $0 = Clock.now }
                                let first = self.learnerFinishedAt.withLock { at -> Bool in
                                    guard at == nil else { return false }
                                    at = Clock.now
                                    return true
                                }
                                guard first else { continue }
                                self.logger.info("the learner finished training; replay stopping")
                                await store.close()
                            default:
                                continue
                            }
                        }
                        return (false, [])
                    }
                    group.addTask {
                        // A learner never heard (a wrong --learner, a port, a CURVE key) or gone is
                        // said here: the workers only see this role's queue fill.
                        var silence = LearnerSilence(timeout: t.peerTimeout, connectedAt: Clock.now)
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .seconds(clamping: t.heartbeatInterval))
                            let now = Clock.now, lastHeard = self.learnerLastHeard.withLock { $0 }
                            let silent = now - lastHeard
                            // A finished learner that fell silent has its workers' Goodbyes and has closed
                            // (half a peer timeout: a loaded learner can miss a heartbeat or two).
                            if let at = self.learnerFinishedAt.withLock({ $0 }),
                               silent > t.peerTimeout / 2 || now - at > t.peerTimeout + 2 * t.heartbeatInterval {
                                await pull.close()
                                return (false, [])
                            }
                            switch silence.check(now: now, lastHeard: lastHeard) {
                            case .wentSilent(let seconds)?:
                                let held = await store.count
                                self.logger.warning("no word from the learner at \(learnerWeights) for \(Int(seconds)) s: is it running there (--learner, transport.weights, transport.trajectories)? \(held) trajectories wait here")
                            case .cameBack?:
                                self.logger.info("the learner at \(learnerWeights) is heard again")
                            case nil:
                                break
                            }
                        }
                        return (false, [])
                    }
                }
                // The first loop to end ends the role, but the sampler once the learner finished: the
                // receiver goes on for the workers' Goodbyes until the watch above closes it.
                var unsent: [SampledItem] = []
                while let ended = await group.next() {
                    unsent += ended.unsent
                    if !(ended.sampler && self.learnerFinishedAt.withLock({ $0 }) != nil) { break }
                }
                group.cancelAll()
                for await more in group { unsent += more.unsent }
                return unsent
            }
        } onGracefulShutdown: {
            // Both loops end: the sampler when the store closes, the receiver when its socket does
            // (no frame may come to end its wait).
            Task {
                await store.close()
                await pull.close()
                await finished?.close()
            }
        }
        await store.close()
        await store.putBack(unsent)
        // A buffer that could not be saved is lost: the process then exits non-zero (it exited 0
        // after losing 64 trajectories to a full disk, trial Y), after closing its sockets.
        var notSaved: (any Error)?
        if c.replay.checkpoint {
            do {
                try await store.write(to: file)
                let kept = await store.count
                logger.info("replay buffer saved to \(file.path) with \(kept) trajectories (\(unsent.count) sampled but not sent put back)")
            } catch {
                let lost = await store.count
                logger.error("could not save the replay buffer: \(error); its \(lost) trajectories are lost")
                notSaved = error
            }
        } else {
            let dropped = await store.count
            logger.info("replay buffer not saved (replay.checkpoint is false): \(dropped) trajectories dropped")
        }
        await pull.close()
        await push.close()
        await finished?.close()
        await authenticator?.close()
        logger.info("replay stopped")
        if let notSaved { throw notSaved }
    }
}
