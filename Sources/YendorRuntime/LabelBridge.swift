import Foundation
import Logging
import Metrics
import Synchronization
import YendorAnnotator
import YendorAnnotatorRole
import YendorRewards
import YendorMetrics
import YendorSupport
import YendorWire
import ZeroMQ

/// Carries the reward model's label queries to an annotator and the labels back, without ever
/// making training wait: queries and answers pass through bounded queues that the train loop only
/// `trySend`s to and `tryReceive`s from (what does not fit is counted, not waited for).
///
/// The annotator is either in this process (an `Annotator` actor with the configured labeler and a
/// SQLite label store in the run directory) or a remote `yendor annotator` reached with an
/// `AnnotatorClient`. Either may be slow, down or restarted; training goes on with the labels it has.
final class LabelBridge: Sendable {
    let queries = AsyncBoundedQueue<LabelTask>(capacity: 4096)
    let answers = AsyncBoundedQueue<LabeledTask>(capacity: 8192)
    /// The goal sent with every query; answers count only when they carry this goal (compared as
    /// `Goal` values, whatever text form the annotator echoed).
    let goal: Goal
    /// What is known about a remote annotator's liveness; nil with an in-process annotator.
    private let liveness = Mutex<AnnotatorLiveness?>(nil)

    /// A remote annotator's liveness, as the learner's status shows it.
    struct AnnotatorLiveness: Sendable, Equatable {
        var reachable: Bool
        /// Seconds since the annotator was last heard from (since the bridge started, if never).
        var silentSeconds: Double
    }

    /// Answers that found `answers` full and were dropped (`rewards/answers_dropped`).
    private let answersDropped: Counter

    init(goal: Goal, metrics: MetricsRegistry = MetricsRegistry(role: "learner", forwarding: .none)) {
        self.goal = goal
        answersDropped = Counter(label: "rewards/answers_dropped", factory: metrics)
    }

    /// The remote annotator's liveness as last seen (the learner records it, `LearnerMetrics.record`);
    /// nil with an in-process annotator.
    var annotatorLiveness: AnnotatorLiveness? { liveness.withLock { $0 } }

    // MARK: Running against an annotator

    /// Moves queries to the annotator and its labels back until cancelled. For a remote annotator
    /// (`connection.canGoSilent`) it also watches liveness: after `timeout` seconds without a word
    /// from it (its heartbeats come every second), or at once when it says Goodbye, it logs a
    /// warning, and reminders while that lasts (`warningInterval`), and the status says
    /// `annotator/reachable` 0; training goes on with the labels it has.
    func run(_ connection: some AnnotatorConnection, timeout: Double, logger: Logger) async {
        let goal = self.goal
        if connection.canGoSilent { liveness.withLock { $0 = AnnotatorLiveness(reachable: true, silentSeconds: 0) } }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await connection.forEachAnswer { answered, labeled in
                    if answered == goal { self.deliver(labeled) }
                }
            }
            group.addTask {
                await self.forEachBatchOfQueries { batch in
                    let known = await connection.ask(batch.map { LabelRequest(goal: goal, task: $0) })
                    for result in known { if let labeled = result.labeledTask { self.deliver(labeled) } }
                }
            }
            if connection.canGoSilent {
                group.addTask { await self.watch(connection, timeout: timeout, logger: logger) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Updates `liveness` a few times per timeout and logs when the annotator goes silent or returns.
    private func watch(_ connection: some AnnotatorConnection, timeout: Double, logger: Logger) async {
        let endpoint = connection.endpoint
        let clock = ContinuousClock()
        let started = clock.now
        var lastWarning: ContinuousClock.Instant?, warnings = 0
        var everHeard = false
        while !Task.isCancelled {
            let now = clock.now
            let heard = connection.lastHeard, goodbye = connection.goodbye
            let silent = (now - (heard ?? started)).seconds
            // An annotator that said Goodbye is gone now: a stop, not a silence to wait out.
            let reachable = silent <= timeout && goodbye == nil
            liveness.withLock { $0 = AnnotatorLiveness(reachable: reachable, silentSeconds: silent) }
            if !reachable, lastWarning.map({ (now - $0).seconds >= Self.warningInterval(afterWarnings: warnings, timeout: timeout) }) ?? true {
                if goodbye != nil, warnings > 0 {
                    // A reminder, not another stop (trial D1 read three lines as three).
                    logger.warning("annotator at \(endpoint) still stopped, \(Int(silent.rounded())) s since it was last heard; training goes on without new labels")
                } else if let goodbye {
                    logger.warning("annotator at \(endpoint) stopped (its Goodbye: \(PeerID.escaped(goodbye, limit: 200))); training goes on without new labels until it is back")
                } else {
                    let since = heard == nil ? "never heard from it" : "no reply for \(Int(silent.rounded())) s"
                    var unresolved = ""
                    if let host = EndpointHost(endpoint: endpoint), let failure = await host.resolutionFailure() {
                        unresolved = "; its host \(host.name) does not resolve (\(failure)): check reward.annotator"
                    }
                    logger.warning("annotator unreachable at \(endpoint): \(since) (timeout \(timeout) s)\(unresolved); training goes on without new labels")
                }
                lastWarning = now
                warnings += 1
            } else if reachable, lastWarning != nil {
                logger.notice(everHeard || heard == nil ? "annotator reachable again at \(endpoint)"
                              : "annotator reachable at \(endpoint) (first heard after \(Int((heard! - started).seconds.rounded())) s)")
                lastWarning = nil
                warnings = 0
            }
            if heard != nil && reachable { everHeard = true }
            try? await Task.sleep(for: .seconds(min(1, timeout / 4)))
        }
    }

    /// Seconds between "unreachable" warnings while the annotator stays silent: the timeout, then
    /// doubling, at most 5 minutes (one every timeout was 720 lines an hour; `yendor status`
    /// and `annotator/reachable` show it meanwhile).
    static func warningInterval(afterWarnings n: Int, timeout: Double) -> Double {
        min(timeout * Double(1 << min(max(0, n - 1), 20)), max(timeout, 300))
    }

    /// Waits for queries and hands them on in batches of up to 256, until the queue closes.
    private func forEachBatchOfQueries(_ send: ([LabelTask]) async -> Void) async {
        while let first = await queries.receive() {
            var batch = [first]
            while batch.count < 256, let q = queries.tryReceive() { batch.append(q) }
            await send(batch)
        }
    }

    /// Hands a label to the learner; one that finds the queue full is counted, never silent.
    func deliver(_ labeled: LabeledTask) {
        if !answers.trySend(labeled) { answersDropped.increment() }
    }
}
