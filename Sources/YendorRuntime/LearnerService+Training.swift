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
import YendorWire
import ZeroMQ

/// The learner's train loop (assemble, update, publish, checkpoint) and its label loop (the
/// bridge to the annotator, remote or in this process).
extension LearnerService {
    func trainLoop(buffer: ReplayStore, link: any LearnerLink, status: LearnerStatus, labels: LabelBridge?,
                   resumeFrom: Checkpoints.Found?) async throws {
        let c = configuration
        let rewardModel = try RewardModelRegistry.makeModel(c.reward.models)
        let rewardSource = CaptionRewardSource(model: rewardModel, scaling: try CountScaledIntrinsicReward(configuration: c.reward.models.countScaling))
        let learner = try APPOLearner(configuration: c.resolvedLearner, intrinsicRewards: rewardSource, stop: updateStop, logger: logger)
        let checkpoints = Checkpoints(directory: runDirectory.checkpoints, keep: c.run.keepCheckpoints, milestoneSteps: c.run.milestoneSteps)
        if let dir = resumeFrom?.directory, FileManager.default.fileExists(atPath: dir.appendingPathComponent("rewards.ckpt").path) {
            let (tensors, metadata) = try TensorFile.read(from: dir.appendingPathComponent("rewards.ckpt"))
            let state = RewardModelState(tensors: tensors, metadata: metadata)
            // A resume that names another reward model (--reward) changes it, as it changes other
            // settings: the new one starts untrained (its labels come back from the label store).
            if let written = state.model, written != rewardModel.name {
                logger.notice("the checkpoint's reward model is \(written), this run's \(rewardModel.name): \(rewardModel.name) starts untrained")
            } else if let goal = resumeFrom?.state.rewardGoal, goal != c.resolvedGoal.key {
                // Its labels (and what it learned from them) judge captions for the old goal.
                logger.notice("the checkpoint's reward model learned labels for goal \(goal), this run asks for \(c.resolvedGoal.key): \(rewardModel.name) starts untrained")
            } else {
                try rewardModel.loadState(state)
                logger.info("reward model \(rewardModel.name) restored")
            }
        }
        if let found = resumeFrom {
            try learner.load(from: found.learner)  // the status has its counters already (`run`)
            logger.info("resumed from \(found.directory.lastPathComponent) at \(found.state.envSteps) env steps, policy version \(learner.policyVersion)")
            if found.state.envSteps >= c.run.totalSteps {
                logger.notice("the run is at \(found.state.envSteps) env steps, its budget is \(c.run.totalSteps): nothing to train (give a larger --steps to go on)")
            }
        }
        try await publish(learner, link: link)
        var lastCheckpoint = Clock.now
        // `run.milestone_steps`: the milestone span (env steps / N) of the last checkpoint; crossing
        // into the next one writes a checkpoint, whatever the interval says.
        func span(_ steps: UInt64) -> UInt64 { c.run.milestoneSteps > 0 ? steps / c.run.milestoneSteps : 0 }
        var lastSpan = span(await status.envSteps)
        var builder = c.trainingBatchBuilder
        /// Writes a checkpoint and returns the task that finishes it. The learner's weights and the
        /// run's counters are written here; the reward model's state (taken here, encoded there: a
        /// million retrieval labels take ~2 s) and the replay buffer on a thread of their own while
        /// training goes on. The checkpoint becomes the latest when that task is done.
        func save() async throws -> Task<Void, any Error> {
            // Membership's counters are advanced at each metrics record: a checkpoint taken between
            // two (a final one right after workers left) kept older totals, and a resume lost the rest.
            await status.recordMembershipTotals()
            let counters = metrics.labels.filter { $0.kind == .counter && !Self.restoredElsewhere($0.label) }
            let steps = await status.envSteps, recent = await status.recentWindow
            let state = Checkpoints.State(envSteps: steps, episodes: await status.episodes,
                                          updates: await status.updates, policyVersion: learner.policyVersion,
                                          modelSignature: c.modelSignature,
                                          counters: Dictionary(uniqueKeysWithValues: counters.map { ($0.label, metrics[$0.label]) }),
                                          recentReturns: recent.returns, recentSuccesses: recent.successes, recentLengths: recent.lengths,
                                          rewardGoal: c.resolvedGoal.key)
            let staged = try checkpoints.stage(learner: learner, state: state)
            let rewards = rewardModel.snapshot(), version = learner.policyVersion
            lastCheckpoint = Clock.now
            lastSpan = span(steps)
            return Task { [logger, runDirectory, writesReplay = c.replay.checkpoint] in
                let saved = try await OwnThread.run {
                    try checkpoints.commit(staged) { dir in
                        let state = rewards.state()
                        try TensorFile.write(state.tensors, metadata: state.metadata, to: dir.appendingPathComponent("rewards.ckpt"))
                    }
                }
                logger.info("checkpoint written to \(saved.path) at policy version \(version)")
                if writesReplay { try await buffer.write(to: runDirectory.checkpoints.appendingPathComponent("replay.ckpt")) }
            }
        }
        /// The checkpoint being finished (`save`): the next one, and the end of the loop, wait for it.
        var writing: Task<Void, any Error>?
        func checkpointFailed(_ error: any Error) {
            // A full disk costs this checkpoint, not the run: the last complete one stays the resume point.
            status.metrics.checkpointFailures.increment()
            logger.error("checkpoint to \(runDirectory.checkpoints.path) failed: \(RunDirectory.Unwritable.reason(error)); training goes on, and the next checkpoint tries again (a restart resumes from the last complete one)")
        }
        func finishWriting() async {
            guard let task = writing else { return }
            writing = nil
            do { try await task.value } catch { checkpointFailed(error) }
        }
        /// Sample, assemble, update, ask for labels, publish, checkpoint, until the budget or the end of input.
        func train() async throws {
            while await status.envSteps < c.run.totalSteps {
                guard let items = await buffer.sample(count: 1) else { break }
                for item in items {
                    // A trajectory whose newest step is already beyond the lag limit is dropped here,
                    // whole, before it costs an update. A learner behind its workers would otherwise
                    // spend updates on batches it mostly drops, each one advancing the policy version
                    // and making everything still queued staler: trained samples per second then fall
                    // as workers are added. Its steps count as taken in and as dropped for lag; its
                    // captions are not shown to the reward model. Clamping: a version beyond Int64 is a bad peer's, not a reason to trap.
                    if learner.isBeyondLagLimit(Int64(clamping: item.trajectory.policyVersion)) {
                        await status.droppedStale(samples: item.trajectory.sampleCount, worker: item.trajectory.workerID)
                        // A worker this far behind missed weights (PUB drops them for a subscriber that
                        // does not read, e.g. a paused process). With all its trajectories dropped, no
                        // update comes to publish new ones, so send the current ones again, at most once a second.
                        await resendWeights(link: link, status: status)
                    } else {
                        if Int64(clamping: item.trajectory.policyVersion) > learner.policyVersion {
                            await status.actedAhead(worker: item.trajectory.workerID)
                        }
                        // Checked again (`add`), for trajectories restored from a replay checkpoint written
                        // with other settings: every received one was checked on the way in, and nothing
                        // unchecked reaches the update.
                        do { try builder.add(item.trajectory) } catch {
                            await status.drop(error.reason.rawValue)
                            logger.warning("dropped a stored trajectory from \(item.trajectory.workerID): \(error)")
                        }
                    }
                }
                let held = builder.pending.count
                let rollout: RolloutBatch
                do {
                    guard let built = try builder.build() else { continue }
                    rollout = built
                } catch {
                    // Unreachable after validation; if it happens, these trajectories are lost, not the run.
                    await status.drop("assemble")
                    logger.error("dropped \(held) trajectories that could not be assembled: \(error)")
                    continue
                }
                let lag = rollout.policyVersions.reduce(0.0) { $0 + Double(learner.policyVersion - $1) } / Double(max(rollout.sampleCount, 1))
                // ONI: the reward source scores the batch's captions (r / N^β) inside the update (the
                // model observes them as it scores); after it, the model asks for labels it lacks and
                // absorbs labels that arrived, never waiting for them.
                let stats: UpdateStats
                learner.budgetProgress = Double(await status.envSteps) / Double(max(c.run.totalSteps, 1))
                do {
                    stats = try learner.train(on: rollout)
                } catch let error as LearnerError {
                    // A batch the learner cannot use (unreachable after validation) costs this update;
                    // non-finite updates and weights still stop the run.
                    switch error {
                    case .badBatch, .badObservation:
                        await status.drop("assemble")
                        logger.error("skipped an update on a batch the learner rejected: \(error)")
                        continue
                    default:
                        throw error
                    }
                }
                if let labels {
                    var unsent = 0
                    for query in rewardModel.captionsWanted(limit: c.reward.queriesPerUpdate) where !labels.queries.trySend(query) { unsent += 1 }
                    var received = 0
                    while let answer = labels.answers.tryReceive() {
                        rewardModel.observe(answer)
                        received += 1
                    }
                    rewardModel.trainStep(maxSteps: c.reward.trainSteps)
                    await status.rewards(metrics: rewardSource.metrics, received: received, unsent: unsent, queueDepth: labels.queries.count)
                }
                await status.trained(lag: lag, stats: stats)
                if await status.updates % c.publishInterval == 0 { try await publish(learner, link: link) }
                // (At the budget the final checkpoint follows the loop: none here, or two at one step.)
                let steps = await status.envSteps
                if steps < c.run.totalSteps && (Clock.now - lastCheckpoint >= c.run.checkpointInterval || span(steps) > lastSpan) {
                    await finishWriting()
                    do { writing = try await save() } catch {
                        checkpointFailed(error)
                        lastCheckpoint = Clock.now
                        lastSpan = span(steps)
                    }
                }
            }
        }
        do { try await train() } catch {
            await finishWriting()
            throw error
        }
        await finishWriting()
        // Trajectories taken for a batch that was never built go back, so the replay checkpoint
        // keeps them (sampled more than once, they are still in the buffer).
        if c.replay.maxTimesSampled == 1 { await buffer.putBack(builder.pending) }
        // A fresh run that took no step has nothing to resume: a checkpoint of it would only tie the
        // run directory to this model (a start that failed, then was fixed, was refused its directory).
        if resumeFrom == nil, await status.envSteps == 0, await status.updates == 0 {
            logger.info("no checkpoint written: the run took no env step")
            return
        }
        // Nor a resumed run that did nothing since (started at its budget, or stopped at once): a
        // copy of the checkpoint it started from would push the real ones out.
        if let found = resumeFrom, await status.envSteps == found.state.envSteps, await status.updates == found.state.updates {
            logger.info("no checkpoint written: nothing trained since \(found.directory.lastPathComponent)")
            return
        }
        do { try await save().value } catch {
            logger.error("the final checkpoint to \(runDirectory.checkpoints.path) failed: \(RunDirectory.Unwritable.reason(error)); a restart resumes from the last complete checkpoint")
            throw error
        }
    }

    func publish(_ learner: APPOLearner, link: any LearnerLink) async throws {
        let tensors = try learner.publishableWeights()
        let half = configuration.transport.weightsPrecision == .f16
        let update = PolicyUpdate(version: UInt64(learner.policyVersion), modelSignature: configuration.modelSignature, tensors: tensors.map {
            (half ? NamedArray.halfPrecision(name: $0.name, shape: $0.shape, values: $0.values) : nil)
                ?? NamedArray(name: $0.name, shape: $0.shape, values: $0.values)
        })
        latestWeights.withLock { $0 = .policyUpdate(update) }
        await link.publish(.policyUpdate(update))
    }

    /// Connects the label bridge to the configured annotator until cancelled.
    func labelLoop(_ bridge: LabelBridge) async throws {
        let c = configuration
        if !c.reward.annotator.isEmpty {
            var cc = AnnotatorClient.Configuration()
            let t = annotatorTransport
            cc.requestsEndpoint = TransportConfiguration.endpoint(t.annotatorRequests, onHost: c.reward.annotator)
            cc.labelsEndpoint = TransportConfiguration.endpoint(t.annotatorLabels, onHost: c.reward.annotator)
            cc.id = "learner-\(getpid())"
            cc.connectTimeout = .milliseconds(t.connectTimeoutMilliseconds)
            cc.security = try t.clientSecurity(annotator: true)
            let client = try await AnnotatorClient(configuration: cc, context: context, logger: logger, metrics: metrics)
            // With CURVE, an annotator that never answers may be refusing this learner's key (it says so in its log).
            let curve = t.curveEnabled ? "; CURVE on: the annotator's allow-list must hold this learner's public key" : ""
            logger.info("asking the annotator at \(cc.requestsEndpoint) for labels (goal: \(bridge.goal))\(curve)")
            await bridge.run(client, timeout: c.annotatorTimeout, logger: logger)
            await client.close()
            return
        }
        var choice = c.reward.labeler
        choice.seed = c.run.seed
        let backend = try choice.backend()
        let store = try LabelStore(path: runDirectory.root.appendingPathComponent("labels.sqlite").path)
        let annotator = try Annotator(labeler: try backend.makeLabeler(logger: logger, metrics: metrics), store: store,
                                      configuration: Annotator.Configuration(), logger: logger.with(role: "annotator"), metrics: metrics)
        logger.info("annotator in this process: \(c.reward.labeler.summary), goal: \(bridge.goal)")
        await withTaskGroup(of: Void.self) { group in
            // Computed gauges (labels per second, latency percentiles): brought up to date once a
            // second, as the annotator role does before each Stats.
            group.addTask {
                while !Task.isCancelled {
                    await annotator.refreshGauges()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            await bridge.run(InProcessAnnotatorConnection(annotator), timeout: c.annotatorTimeout, logger: logger)
            group.cancelAll()
        }
        await annotator.shutdown()
    }
}
