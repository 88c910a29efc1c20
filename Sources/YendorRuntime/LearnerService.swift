import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import YendorAnnotatorRole
import YendorMetrics
import YendorLearner
import YendorPolicy
import YendorReplay
import YendorRewards
import YendorAnnotator
import YendorNN
import YendorRollout
import YendorSupport
import YendorTransport
import YendorVersion
import YendorWire
import ZeroMQ

/// The learner role: receives trajectories through its `LearnerLink` (the trajectory PULL and
/// weights PUB sockets across processes, bounded queues in one process), buffers them with
/// backpressure, trains APPO on them, publishes weights, tracks workers, writes metrics and
/// checkpoints, and resumes from the run directory's latest checkpoint.
///
/// Loops, each a child task: receive (decode, check, buffer), train (assemble, update, publish,
/// checkpoint), heartbeat (learner heartbeats, membership), report (metrics file, progress line),
/// label (the bridge to the annotator, `LabelBridge`).
/// On graceful shutdown the buffer closes, the train loop finishes its update, a final checkpoint
/// is written and workers are told with a `Goodbye`.
public final class LearnerService: Service, Sendable {
    public let configuration: TrainingConfiguration
    let context: Context
    let runDirectory: RunDirectory
    let logger: Logger
    let progress: ProgressLine
    let latestWeights = Mutex<WireMessage?>(nil)
    /// When the weights were last published again for workers that lacked them.
    private let lastResend = Mutex(-Double.infinity)
    /// Opens the learner's end of its link to the workers (ZeroMQ sockets, or an in-process network).
    private let bindLink: @Sendable () async throws -> any LearnerLink
    /// Set once the budget is reached (the `train` command then stops the other roles).
    public let completion = AsyncBoundedQueue<UInt64>(capacity: 1)
    private let finished = Atomic<Bool>(false)
    /// Whether the run reached its budget: set before the workers are told it has finished, so a
    /// worker that stops cleanly before then was stopped by something else (`ProcessSupervisor`).
    public var hasFinished: Bool { finished.load(ordering: .acquiring) }
    /// Carries label queries to the annotator and labels back; nil without a reward model.
    let bridge: LabelBridge?
    /// Endpoints and CURVE settings for reaching a remote annotator (`reward.annotator`).
    let annotatorTransport: TransportConfiguration
    /// The role's metrics: what the metrics file, TensorBoard, `Stats` and `/metrics` show.
    public let metrics: MetricsRegistry
    /// When the last metrics record was written and at what env step (its SPS counts from there).
    let lastReport = Mutex<(time: Double, steps: UInt64, stale: Double)>((0, 0, 0))
    /// The env-server failures the workers reported, summed over the run (`recordEnvServerFailures`).
    let envServerFailures = Mutex(EnvServerFailureTotals())
    /// The hosted envs' CPU time per step the workers reported (`recordEnvStepCost`).
    let envStepCost = Mutex(EnvStepCost())
    /// Raised when the role is asked to stop: an update in progress ends after its current
    /// minibatch (one of many epochs or minibatches can take seconds), keeping what it applied.
    let updateStop: StopFlag

    /// `annotatorTransport` defaults to the configuration's transport; `yendor train` passes the
    /// configured one while the learner's own sockets are `inproc://`.
    /// `link` opens the learner's end of its link to the workers; nil: ZeroMQ sockets bound at the
    /// configured endpoints (`ZeroMQLearnerLink`). `stop` (a command's signal flag), raised, ends an
    /// update in progress while roles stopped before the learner stop; the role's own graceful
    /// shutdown ends it too, without raising `stop`.
    public init(configuration: TrainingConfiguration, context: Context, runDirectory: RunDirectory, logger: Logger,
                annotatorTransport: TransportConfiguration? = nil, metrics: MetricsRegistry = MetricsRegistry(role: "learner"),
                stop: StopFlag = StopFlag(), link: (@Sendable () async throws -> any LearnerLink)? = nil) {
        self.configuration = configuration
        updateStop = StopFlag(following: stop)
        bindLink = link ?? { [transport = configuration.transport] in
            try await ZeroMQLearnerLink.bind(transport, context: context, logger: logger)
        }
        self.metrics = metrics
        self.annotatorTransport = annotatorTransport ?? configuration.transport
        bridge = configuration.reward.models.model == .none ? nil : LabelBridge(goal: configuration.resolvedGoal, metrics: metrics)
        self.context = context
        self.runDirectory = runDirectory
        self.logger = logger
        progress = ProgressLine(logger: logger)
    }

    public func run() async throws {
        let c = configuration, t = c.transport
        let status = LearnerStatus(heartbeatTimeout: t.peerTimeout,
                                   inboxCapacity: t.queueCapacity, evictAfterBadBatches: t.evictAfterBadBatches,
                                   metrics: LearnerMetrics(registry: metrics, recordsSuccess: c.taskDefinesSuccess))
        // The checkpoint's counters before any loop starts: the first heartbeat already says the
        // policy version the learner resumes at (a worker reads a lower one as the learner having
        // gone back). The train loop loads the weights from the same checkpoint. One written for
        // another model is refused here.
        let resumeFrom = try runDirectory.resumePoint(for: c)
        if resumeFrom == nil, let size = try? FileManager.default.attributesOfItem(atPath: runDirectory.metrics.path)[.size] as? Int, size > 0 {
            // An earlier start that was stopped before its first checkpoint (a kill): said, since
            // its records stay in the file and this run's counting from 0 follow them.
            // Its settings are not resumed either (only a checkpoint's are): a restart without the
            // first command's options got the defaults with no word (trial T).
            logger.notice("\(runDirectory.root.path) has records of an earlier start that wrote no checkpoint: this run starts afresh, with this command's settings (not those in the config.yaml that start wrote, which they replace), and its records follow those in metrics.jsonl from env step 0")
        }
        if let found = resumeFrom {
            if !found.skipped.isEmpty {
                logger.warning("\(Checkpoints.notReading(found.skipped)); resuming from \(found.directory.lastPathComponent)")
            }
            let state = found.state
            await status.restore(envSteps: state.envSteps, episodes: state.episodes, updates: state.updates, version: state.policyVersion)
            if let returns = state.recentReturns, let successes = state.recentSuccesses { await status.restore(recent: (returns, successes, state.recentLengths)) }
            // A label now of another kind (a checkpoint of another version) is passed over.
            let kinds = Dictionary(uniqueKeysWithValues: metrics.labels.map { ($0.label, $0.kind) })
            for (label, value) in state.counters ?? [:] where value >= 1 && !Self.restoredElsewhere(label)
                && (kinds[label] ?? .counter) == .counter {
                Counter(label: label, factory: metrics).increment(by: Int64(value.rounded()))
            }
        }
        // The first record's SPS counts from here (and from the steps restored), not from zero.
        let startSteps = await status.envSteps
        lastReport.withLock { $0 = (Clock.now, startSteps, metrics["learner/samples_dropped_lag"]) }
        let link = try await bindLink()
        // What a worker's Hello must carry, verbatim (docs/wire-protocol.md): one line each, so a
        // worker written in another language can be configured from the learner's log.
        for (key, value) in c.admissionFingerprints { logger.info("workers must say Hello with \(key): \(value)") }
        if bridge != nil, let warning = c.goalWarning { logger.warning("\(warning)") }
        if bridge != nil, let warning = c.labelerWarning { logger.warning("\(warning)") }
        if let warning = c.budgetWarning(stepsTaken: startSteps) { logger.warning("\(warning)") }
        // Said as the other reward models say their annotator and goal: the run's rewards are the env's alone.
        if bridge == nil { logger.info("intrinsic rewards off (reward.model none): the env's own rewards only") }
        if bridge != nil && c.env.kind == .server && c.reward.goal == .auto {
            // Env servers declare no goal, and a generic one makes the annotator's labels less useful.
            logger.warning("env servers declare no annotator goal: the annotator judges captions for `score`; set reward.goal to the task's goal, e.g. --set 'reward.goal=custom:find the key and open the door'")
        }
        var replayBuffer = try ReplayBuffer(configuration: c.replayConfiguration)
        let replayFile = runDirectory.checkpoints.appendingPathComponent("replay.ckpt")
        if c.replay.checkpoint, FileManager.default.fileExists(atPath: replayFile.path) {
            replayBuffer = try ReplayBuffer.read(from: replayFile, configuration: c.replayConfiguration)
            logger.info("replay buffer restored with \(replayBuffer.count) trajectories")
        }
        let buffer = ReplayStore(buffer: replayBuffer)
        // The session starts just after the checkpoint's step: points up to it stand, later ones
        // (training a crash lost) are replaced by this session's in TensorBoard.
        let metricsLog = try MetricsLog(url: runDirectory.metrics,
                                        tensorBoard: try TensorBoardLog(directory: runDirectory.root.appendingPathComponent("tensorboard"),
                                                                        sessionStart: Int64(startSteps) + 1))
        // None for a run at its budget, which trains nothing and leaves the file as it was.
        if resumeFrom != nil && startSteps < c.run.totalSteps { writeResumeMarker(log: metricsLog, at: startSteps) }
        let bridge = self.bridge

        var reason = "shutdown"
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await self.receiveLoop(link: link, buffer: buffer, status: status) }
                    group.addTask { try await self.trainLoop(buffer: buffer, link: link, status: status, labels: bridge, resumeFrom: resumeFrom) }
                    if let bridge { group.addTask { try await self.labelLoop(bridge) } }
                    group.addTask { await self.heartbeatLoop(link: link, status: status) }
                    group.addTask { await self.reportLoop(status: status, log: metricsLog, buffer: buffer, link: link) }
                    // The train loop ends the role: budget reached, shutdown, or an error. Closing the
                    // store wakes a receive loop waiting to insert; cancelling stops the others.
                    defer { group.cancelAll() }
                    try await group.next()
                    // Past the budget the receive loop goes on, taking nothing more, to hear the
                    // workers leave while they are told (closing the store wakes an insert waiting).
                    let atBudget = await status.envSteps >= c.run.totalSteps
                    if atBudget { self.finished.store(true, ordering: .releasing) }  // before the workers are told
                    await buffer.close()
                    if atBudget { await self.sayFinished(link: link, status: status) }
                }
            } onGracefulShutdown: {
                self.updateStop.set()
                Task {
                    await Self.takeInWhatIsQueued(link)
                    await buffer.close(afterWaitingInserts: true)
                }
            }
            if hasFinished { reason = "finished" }
        } catch {
            progress.finish()  // the error and what follows on lines of their own
            logger.error("learner stopped: \(error)")
            reason = "error: \(error)"
            await link.close(reason: reason)
            throw error
        }
        // The last record: the run's final figures (the checkpoint's version, the trajectories that
        // came after the budget; trial N's curves ended a version short). None for a run started at
        // its budget, which trains nothing and leaves the file as it was.
        if !(resumeFrom != nil && startSteps >= c.run.totalSteps) {
            _ = await writeMetrics(status: status, log: metricsLog, buffer: buffer, final: true)
        }
        await link.close(reason: reason)
        progress.finish()
        completion.trySend(await status.envSteps)
        let finalSteps = await status.envSteps, afterBudget = await status.trajectoriesAfterBudget
        // Workers' own counts include what they sent before hearing that the run had finished.
        let notTaken = afterBudget > 0 ? " (\(afterBudget) trajectories that came after the budget were not taken)" : ""
        logger.info("learner stopped (\(reason)) at \(finalSteps) env steps\(notTaken)")
    }

    // MARK: Receive

    /// A stopping learner first takes in what has reached it: the last trajectories its workers
    /// sent as they stopped (`yendor train --workers` stops them first). It waits until nothing has
    /// been queued for a moment (what is still on its way arrives within milliseconds), at most 2 s:
    /// workers that go on sending do not hold the stop up.
    private static func takeInWhatIsQueued(_ link: any LearnerLink) async {
        let deadline = ContinuousClock.now + .seconds(2)
        var quietPolls = 0
        while quietPolls < 5 && ContinuousClock.now < deadline {
            quietPolls = link.queuedMessages == 0 ? quietPolls + 1 : 0
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func receiveLoop(link: any LearnerLink, buffer: ReplayStore, status: LearnerStatus) async {
        let builder = configuration.trainingBatchBuilder
        while let received = await link.receive() {
            let message: WireMessage
            switch received {
            case .trajectory(let trajectory):
                guard await store(trajectory, builder: builder, link: link, buffer: buffer, status: status) else { return }
                continue
            case .message(let m):
                message = m
            case .malformed(let error):
                await status.drop("decode_\(error.kindName)")
                if let suppressed = await status.shouldLog("decode_\(error.kindName)", now: Clock.now) {
                    logger.warning("dropped a malformed frame: \(error)\(suppressed > 0 ? " (and \(suppressed) more like it, not logged)" : "")")
                }
                continue
            }
            let now = Clock.now
            switch message {
            case .hello(let hello):
                logger.debug("received a Hello from \(PeerID.loggable(hello.id))")
                await handleHello(hello, now: now, link: link, status: status)
                // Trajectories that overtook a Hello that admitted its worker are taken in now.
                let admitted = await status.isMember(hello.id)
                let early = admitted ? await status.takeAwaitingHello(hello.id) : []
                if !early.isEmpty { logger.info("taking in \(early.count) trajector\(early.count == 1 ? "y" : "ies") from worker \(PeerID.loggable(hello.id)) that came before its Hello") }
                // The drop log says the first of a run of drops; its count is said once they end.
                let unlogged = admitted ? await status.unloggedDrops("not_admitted \(hello.id)") : 0
                if unlogged > 0 {
                    logger.warning("dropped \(unlogged) more trajector\(unlogged == 1 ? "y" : "ies") from worker \(PeerID.loggable(hello.id)) before its Hello admitted it (not_admitted: the hold for Hellos was full, or they waited a heartbeat timeout)")
                }
                for held in early {
                    guard await store(held, builder: builder, link: link, buffer: buffer, status: status) else { return }
                }
            case .heartbeat(let h):
                await status.seen(h.id, now: now, policyVersion: h.policyVersion)
            case .goodbye(let g):
                // Said of members only: a Goodbye for a worker never admitted (or gone) changes nothing.
                let instance = await status.memberInstance(g.id)
                if let taken = await status.goodbye(g.id, now: now) {
                    logger.info("worker \(PeerID.loggable(g.id)) left: \(PeerID.escaped(g.reason)) (\(taken) trajector\(taken == 1 ? "y" : "ies") taken from it)")
                }
                // Said after what came before it was stored: its worker may close its connection now.
                if let instance { await link.publish(.goodbye(.acknowledging(g.id, instance: instance))) }
            case .stats:
                break
            case .trajectoryBatch(let batch):
                // Not sent this way by either link (they hand trajectories over as `.trajectory`).
                guard await store(.value(batch), builder: builder, link: link, buffer: buffer, status: status) else { return }
            default:
                await status.drop("unexpected_\(message.kind)")
            }
        }
    }

    /// Admits and stores one trajectory; false once the replay buffer is closed before the budget
    /// is reached (past it nothing more is taken, and the loop goes on for the workers' Goodbyes).
    private func store(_ trajectory: ReceivedTrajectory, builder: TrainingBatchBuilder, link: any LearnerLink,
                       buffer: ReplayStore, status: LearnerStatus) async -> Bool {
        // Past the budget nothing more is taken: the final checkpoint holds what was counted. The
        // loop then takes what workers still send without waiting on anything: it lets others run.
        if hasFinished {
            await status.cameAfterBudget()
            await Task.yield()
            return true
        }
        if await status.envSteps >= configuration.run.totalSteps {
            await status.cameAfterBudget()
            return true
        }
        let now = Clock.now
        guard await admit(trajectory, builder: builder, now: now, link: link, status: status) else { return true }
        // Full buffer: wait, which stops reading the socket; ZeroMQ's high-water mark then
        // makes workers wait too (backpressure, nothing dropped). No worker can be heard
        // meanwhile, so membership stops counting silence until the trajectory is in.
        await status.stopListening(now: now)
        var open = true
        do {
            open = try await buffer.insert(trajectory)
            // Counted once stored (a shutdown that begins meanwhile still lets it in first): the
            // budget and the checkpoint then agree.
            if open {
                await status.received(trajectory, now: Clock.now)
            } else if await status.envSteps < configuration.run.totalSteps {
                // Not stored, the learner stopping before its budget (past it, nothing more is wanted).
                await status.drop("shutting_down")
            }
        } catch {
            logger.error("\(error)")
            await status.drop("replay")
        }
        await status.startListening(now: Clock.now)
        logger.debug("stored a trajectory from \(trajectory.workerID)")
        return open || hasFinished
    }

    /// Whether a trajectory may be stored: its sender is an admitted member and it passes the
    /// validator. A rejected one is counted by reason (`transport/frames_dropped/<reason>`) and
    /// logged (rate-limited); a member whose trajectories keep failing is evicted and told so.
    private func admit(_ trajectory: ReceivedTrajectory, builder: TrainingBatchBuilder, now: Double, link: any LearnerLink,
                       status: LearnerStatus) async -> Bool {
        let id = trajectory.workerID
        var admitted = await status.isMember(id)
        if !admitted, let late = await status.lateAdmission(id, now: now) {
            admitted = true
            if late == .rejoined { logger.info("worker \(PeerID.loggable(id)) is heard again after timing out; it rejoins") }
        }
        guard admitted else {
            // Perhaps ahead of its worker's first Hello: held for it, a few and a timeout at most.
            let (held, expired) = PeerID.isValid(id) ? await status.holdForHello(trajectory, now: now) : (false, [])
            if !held { await status.droppedUnadmitted(id, now: now) }
            for dropped in expired + (held ? [] : [id]) { await logUnadmitted(dropped, now: now, status: status) }
            return false
        }
        do {
            try builder.check(trajectory)
            return true
        } catch {
            let reason = error.reason.rawValue
            if await status.rejected(id, reason: reason, now: now) {
                let limit = configuration.transport.evictAfterBadBatches
                logger.error("evicting worker \(id): its last \(limit) trajectories were rejected (last: \(error))")
                await link.publish(.goodbye(Goodbye(id: id, reason: "refused: evicted after \(limit) rejected trajectories in a row (last: \(error))")))
            } else if let suppressed = await status.shouldLog("\(reason) \(id)", now: now) {
                logger.warning("dropped a trajectory from \(id): \(error)\(suppressed > 0 ? " (and \(suppressed) more like it, not logged)" : "")")
            }
            return false
        }
    }

    /// Says that a trajectory from `id` was dropped unadmitted, at most once per 10 s per worker.
    func logUnadmitted(_ id: String, now: Double, status: LearnerStatus) async {
        if let suppressed = await status.shouldLog("not_admitted \(id)", now: now) {
            logger.warning("dropped a trajectory from \(PeerID.loggable(id)), which has not said Hello and been admitted\(suppressed > 0 ? " (and \(suppressed) more, not logged)" : "")")
        }
    }

    private func handleHello(_ hello: Hello, now: Double, link: any LearnerLink, status: LearnerStatus) async {
        guard PeerID.isValid(hello.id) else {
            // Not answered: a Goodbye is addressed by id, and `*` addresses every worker.
            await status.refusedInvalidID()
            if let suppressed = await status.shouldLog("peer_id \(PeerID.loggable(hello.id, limit: 80))", now: now) {
                logger.warning("ignored a Hello with an invalid id \(PeerID.loggable(hello.id, limit: 80)): an id is 1-\(PeerID.maxLength) characters from A-Z a-z 0-9 . _ - : @\(suppressed > 0 ? " (and \(suppressed) more, not logged)" : "")")
            }
            return
        }
        // A live member from another process (another `instance` tag) holds this id: refuse the
        // claimant only, addressed by its tag, so a stray or hostile Hello cannot stop that worker.
        // A matching claimant is refused too: two processes under one id would be one member, and
        // the first to leave would take the other's membership with it.
        let claimant = hello.capability("instance")
        if let holder = await status.memberInstance(hello.id), let claimant, holder != claimant {
            let problem = configuration.admissionProblem(hello)
                ?? "\(Goodbye.idHeld) (\(hello.id)); give each worker its own --id (the id is free again once that worker has been silent for \(Int(configuration.transport.peerTimeout.rounded(.up))) s of the learner's listening time: that long or more after its last message)"
            await status.refusedClaimant()
            await refuse(hello.id, addressee: "\(hello.id)#\(claimant)", reason: problem, link: link, now: now, status: status)
            return
        }
        if let problem = configuration.admissionProblem(hello) {
            await status.refused(hello.id)
            await refuse(hello.id, reason: problem, link: link, now: now, status: status)
            return
        }
        if let seconds = await status.banRemaining(hello.id, now: now) {
            await status.refused(hello.id)
            await refuse(hello.id, reason: "evicted for sending rejected trajectories; it may rejoin in \(Int(seconds.rounded(.up))) s",
                         link: link, now: now, status: status)
            return
        }
        if await status.hello(hello, now: now) {
            // The version tells binaries apart in a rolling upgrade (all speak one wire protocol).
            logger.info("worker \(hello.id) joined", metadata: [
                "envs": "\(PeerID.escaped(hello.capability("envs") ?? "?", limit: 20))",
                "version": "\(PeerID.escaped(hello.capability(YendorVersion.capability) ?? "not said (a foreign worker, or a Yendor before 2026-12-07)", limit: 80))"])
            // Another task with the same spec trains the same network (it may be meant), but its
            // returns mix into this run's and the intrinsic rewards keep this run's goal: say so.
            if let task = hello.capability("task"), task != configuration.env.task {
                logger.warning("worker \(hello.id) runs task \(PeerID.loggable(task, limit: 80)), not this run's \(configuration.env.task): its episodes count in this run's returns and success rate")
            }
            // A late joiner gets the current weights at once instead of waiting for the next update.
            if let weights = latestWeights.withLock({ $0 }) { await link.publish(weights) }
        } else if hello.capability("weights") == "none" {
            // A member that missed them (its weights socket connected after they went out).
            await resendWeights(link: link, status: status)
        }
    }

    /// Publishes the current weights again for workers that lack them, at most once a second:
    /// weights are megabytes, and no peer's messages may make the learner flood every worker.
    func resendWeights(link: any LearnerLink, status: LearnerStatus) async {
        guard let weights = latestWeights.withLock({ $0 }), lastResend.withLock({ last in
            guard Clock.now - last >= 1 else { return false }
            last = Clock.now
            return true
        }) else { return }
        await status.resentWeights()
        await link.publish(weights)
    }

    /// Tells a worker it is refused (a Yendor worker stops on this); logged once per 10 s per worker.
    /// `addressee` is the Goodbye's id: the worker's id, or `id#instance` for one process of it.
    private func refuse(_ worker: String, addressee: String? = nil, reason: String, link: any LearnerLink, now: Double,
                        status: LearnerStatus) async {
        let addressee = addressee ?? worker
        if let suppressed = await status.shouldLog("refused \(addressee)", now: now) {
            let who = addressee == worker ? "worker \(worker)" : "a Hello claiming the id of live worker \(worker) from another process (\(PeerID.loggable(addressee, limit: 160)))"
            logger.error("refusing \(who): \(PeerID.escaped(reason))\(suppressed > 0 ? " (refused \(suppressed) more times, not logged)" : "")")
        }
        await link.publish(.goodbye(Goodbye(id: addressee, reason: "refused: \(reason)")))
    }
}
