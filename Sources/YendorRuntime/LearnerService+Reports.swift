import Foundation
import Metrics
import Synchronization
import YendorMetrics
import YendorReplay
import YendorSupport
import YendorTransport
import YendorWire

/// The learner's heartbeats and reports: a heartbeat every interval (and the membership pruned with
/// it), a metrics record every log interval (the file, TensorBoard, the progress line) published as
/// a `Stats` message.
extension LearnerService {
    func heartbeatLoop(link: any LearnerLink, status: LearnerStatus) async {
        var sequence: UInt64 = 0
        while !Task.isCancelled {
            let beat = Heartbeat(id: "learner", sequence: sequence, timeNanos: Clock.wallNanos,
                                 policyVersion: UInt64(max(await status.policyVersion, 0)))
            await link.publish(.heartbeat(beat))
            sequence += 1
            // Each Goodbye's acknowledgement again, for a peer timeout after it: PUB drops what a
            // subscriber cannot take at that moment (one reconnecting after this learner was silent),
            // and a worker whose only answer was lost waited out its leave timeout (CI, 2026-12-07).
            for (id, instance) in await status.recentlyDeparted(now: Clock.now) {
                await link.publish(.goodbye(.acknowledging(id, instance: instance)))
            }
            for gone in await status.prune(now: Clock.now) {
                logger.warning("worker \(gone.id) timed out (\(gone.taken) trajector\(gone.taken == 1 ? "y" : "ies") taken from it)")
            }
            for id in await status.expireAwaitingHello(now: Clock.now) { await logUnadmitted(id, now: Clock.now, status: status) }
            try? await Task.sleep(for: .seconds(clamping: configuration.transport.heartbeatInterval))
        }
    }

    /// Tells the workers the run has finished, and again at each heartbeat, until every worker has
    /// left (a worker answers with its Goodbye) or a peer timeout has passed. Said once, it was lost by
    /// a subscriber reconnecting just then (PUB drops what it cannot deliver), and that worker waited
    /// for a learner to return, for ever; so was it by one that had timed out (a stalled process).
    func sayFinished(link: any LearnerLink, status: LearnerStatus) async {
        let deadline = Clock.now + configuration.transport.peerTimeout
        var nextWord = Clock.now
        while !Task.isCancelled && !updateStop.isSet {
            let members = await status.workersNotLeft
            if members.isEmpty { return }
            if Clock.now >= deadline {
                let named = members.prefix(8).map { PeerID.loggable($0) }.joined(separator: ", ")
                logger.info("told \(members.count) worker(s) for a peer timeout that the run finished, with no Goodbye in answer: \(named)")
                return
            }
            if Clock.now >= nextWord {
                await link.publish(.goodbye(Goodbye(id: "*", reason: "finished")))
                nextWord = Clock.now + configuration.transport.heartbeatInterval
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Writes a metrics record every log interval and publishes it, with the membership, as a Stats
    /// message on the weights socket: what `yendor status learner` shows, with no extra port.
    func reportLoop(status: LearnerStatus, log: MetricsLog, buffer: ReplayStore, link: any LearnerLink) async {
        var lagWatch = PolicyLagWatch()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(clamping: configuration.run.logInterval))
            if Task.isCancelled { return }
            var values = await writeMetrics(status: status, log: log, buffer: buffer)
            values.append(("run/total_steps", Double(configuration.run.totalSteps)))
            let now = Clock.now
            let members = await status.membership.members.values.sorted { $0.id < $1.id }
            status.metrics.record(members: members, now: now)
            for w in lagWatch.look(at: members, now: now) ?? [] {
                let window = Int(PolicyLagWatch.window)
                if w.mostlyAhead {
                    logger.warning("worker \(PeerID.loggable(w.id)): \(w.ahead) of its \(w.trajectories) trajectories in the last \(window) s were acted with policy versions newer than this learner's: its weights come from another learner. Its transport.weights (or --learner) likely reaches another run's learner while its trajectories come here: give it both of this run's endpoints (docs/running.md, \"Two runs on one machine\")")
                }
                if w.mostlyStale {
                    logger.warning("worker \(PeerID.loggable(w.id)): \(w.stale) of its \(w.trajectories) trajectories in the last \(window) s were dropped as too stale (more than learner.max_policy_lag, \(configuration.learner.maxPolicyLag), versions behind): little of what it collects is trained on. A slow link (its weights come late), fewer envs than the other workers (docs/running.md, \"Backpressure, not loss\"), or weights from another learner")
                }
            }
            for m in members {
                values += LearnerMetrics.figures(of: m, now: now).map { ("worker/\(m.id)/\($0.name)", $0.value) }
            }
            let stats = Stats(id: "learner", role: "learner", timeNanos: Clock.wallNanos, values: values)
            await link.publish(.stats(stats))
        }
    }

    /// Counters a checkpoint keeps in fields of their own (`Checkpoints.State`), and the replay
    /// buffer's, whose totals come back with its contents; it keeps the others by name.
    static func restoredElsewhere(_ label: String) -> Bool {
        ["env_steps", "rollout/episodes", "learner/updates"].contains(label) || label.hasPrefix("replay/")
    }

    /// The env-server failures the workers' Hellos report, summed over the run
    /// (`rollout/env_server_failures`, `rollout/env_server_reopen_failures`, `rollout/env_errors`);
    /// nothing while no worker steps env servers.
    func recordEnvServerFailures(status: LearnerStatus) async {
        let members = await status.membership.members.values
        let reports = members.compactMap { m -> (worker: String, counts: [Double])? in
            // A worker that steps env servers reports the first; one of an earlier version, not the rest.
            guard m.capabilities[EnvServerFailureTotals.keys[0]] != nil else { return nil }
            let counts = EnvServerFailureTotals.keys.map { m.capabilities[$0].flatMap(Double.init) ?? 0 }
            return ("\(m.id)#\(m.instance ?? "")", counts)
        }
        guard let totals = envServerFailures.withLock({ $0.update(reports) }) else { return }
        for (key, total) in zip(EnvServerFailureTotals.keys, totals) { Gauge(label: "rollout/\(key)", factory: metrics).record(total) }
    }

    /// `rollout/env_step_cpu_us`: the CPU microseconds the workers' hosted envs took per env step
    /// since the last record (what the game costs under the policy's actions); kept when no worker
    /// reported more, and never set while no worker hosts its envs.
    func recordEnvStepCost(status: LearnerStatus) async {
        let keys = EnvStepCost.keys
        let reports = await status.membership.members.values.compactMap { m -> (worker: String, seconds: Double, steps: Double)? in
            guard let seconds = m.capabilities[keys.seconds].flatMap(Double.init),
                  let steps = m.capabilities[keys.steps].flatMap(Double.init) else { return nil }
            return ("\(m.id)#\(m.instance ?? "")", seconds, steps)
        }
        guard let perStep = envStepCost.withLock({ $0.update(reports) }) else { return }
        Gauge(label: "rollout/env_step_cpu_us", factory: metrics).record(perStep * 1e6)
    }

    /// Marks in metrics.jsonl where a resumed session starts, at the checkpoint's step, for the
    /// file's readers: yendor-plot drops the points beyond it, training the crash lost (TensorBoard
    /// replaces them by itself).
    func writeResumeMarker(log: MetricsLog, at steps: UInt64) {
        do { try log.write([("time", Clock.wallTime), ("env_steps", Double(steps)), ("resumed_at_env_steps", Double(steps))], tensorBoard: false) } catch {
            logger.warning("\(log.url.path): the resume marker was not written (yendor-plot may keep points of training the crash lost): \(error)")
        }
    }

    /// Writes one record of the role's metrics (and the progress line); returns it. A record with no
    /// step since the one before keeps its rate when it is the `final` one or the budget is reached:
    /// the steps stop while the last update, checkpoint and goodbyes run, and a fall of rollout/sps
    /// to 0 there read as a stall.
    @discardableResult
    func writeMetrics(status: LearnerStatus, log: MetricsLog, buffer: ReplayStore, final: Bool = false) async -> [(String, Double)] {
        let now = Clock.now
        let steps = await status.envSteps
        let (lastTime, lastSteps, lastStale) = lastReport.withLock { $0 }
        let keepsRate = (final || steps >= configuration.run.totalSteps) && steps == lastSteps
        let sps = keepsRate ? metrics["rollout/sps"] : now > lastTime ? Double(steps &- lastSteps) / (now - lastTime) : 0
        // The part of the samples taken in since the last line that was too stale to train on:
        // SPS counts them, so SPS alone can rise while less is trained on (more workers, a slower learner).
        let stale = metrics["learner/samples_dropped_lag"]
        let staleShare = steps > lastSteps ? min(1, max(0, (stale - lastStale) / Double(steps - lastSteps))) : 0
        lastReport.withLock { $0 = (keepsRate ? lastTime : now, steps, stale) }
        let learnerMetrics = status.metrics
        learnerMetrics.stepsPerSecond.record(sps)
        learnerMetrics.workers.record(await status.membership.count)
        await status.recordMembershipTotals()
        learnerMetrics.record(await buffer.statistics)
        if let liveness = bridge?.annotatorLiveness { learnerMetrics.record(liveness) }
        await recordEnvServerFailures(status: status)
        await recordEnvStepCost(status: status)
        let values = [("time", Clock.wallTime)] + metrics.snapshot().map { ($0.name, $0.value) }
        do { try log.write(values) } catch {
            // A full disk costs records, not the run (checkpoints say so themselves when they fail).
            if let suppressed = await status.shouldLog("metrics_write", now: now) {
                logger.error("could not write the metrics record: \(RunDirectory.Unwritable.reason(error))\(suppressed > 0 ? " (\(suppressed) more failures, not logged)" : "")")
            }
        }
        progress.show(.init(steps: steps, budget: configuration.run.totalSteps, sps: sps, episodes: await status.episodes,
                            recentEpisodes: await status.recentEpisodes,
                            meanReturn: await status.meanReturn, successRate: await status.successRate,
                            policyLag: metrics["learner/policy_lag"], staleShare: staleShare, workers: await status.membership.count))
        return values
    }
}
