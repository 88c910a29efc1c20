import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// Evaluates every checkpoint a run kept, oldest first, each with the same seed and the same
/// number of episodes, so that the points differ by the weights alone (`yendor evaluate
/// --all-checkpoints`). A graceful shutdown stops it after the checkpoint being played (whose
/// report says it is incomplete); the checkpoints not reached are not evaluated.
public final class LearningCurve: Service, Sendable {
    /// Each point's evaluation, the same for every checkpoint (episodes, seed, action selection).
    public let evaluation: Evaluator.Configuration
    /// The checkpoint directories, in the order they are played.
    public let checkpoints: [URL]
    private let context: Context
    private let logger: Logger
    private let played = Mutex<[EvaluationReport]>([])
    private let passedOver = Mutex<[String]>([])

    public init(evaluation: Evaluator.Configuration, checkpoints: [URL], context: Context, logger: Logger) {
        self.evaluation = evaluation
        self.checkpoints = checkpoints
        self.context = context
        self.logger = logger
    }

    /// The checkpoints of the run in `runDirectory` that read, oldest first.
    public static func checkpoints(runDirectory: String) -> [URL] {
        Checkpoints(directory: URL(fileURLWithPath: runDirectory).appendingPathComponent("checkpoints")).all().map(\.directory)
    }

    /// One report per checkpoint played, in order.
    public var reports: [EvaluationReport] { played.withLock { $0 } }
    /// Checkpoints passed over because they no longer read (the run, still training, removed them
    /// meanwhile; a disk error), by name.
    public var skipped: [String] { passedOver.withLock { $0 } }

    public func run() async throws {
        for (k, checkpoint) in checkpoints.enumerated() where !Task.isShuttingDownGracefully {
            // Loaded one at a time: a run with many milestones need not hold every one's weights.
            let policy: Evaluator.Policy
            do {
                policy = try Evaluator.policy(runDirectory: evaluation.training.run.directory, checkpoint: checkpoint.path, for: evaluation.training)
            } catch {
                logger.warning("checkpoint \(k + 1) of \(checkpoints.count), \(checkpoint.lastPathComponent), passed over: \(error)")
                passedOver.withLock { $0.append(checkpoint.lastPathComponent) }
                continue
            }
            logger.info("checkpoint \(k + 1) of \(checkpoints.count): \(checkpoint.lastPathComponent)")
            let evaluator = Evaluator(configuration: evaluation, policy: policy, context: context, logger: logger)
            try await evaluator.run()
            guard let report = evaluator.report else { break }
            played.withLock { $0.append(report) }
        }
    }

    /// The curve as a table, a row per checkpoint: env steps, policy version, mean return ± its
    /// standard error, success rate ± its standard error, mean length.
    public func table() -> String {
        let reports = reports, skipped = skipped
        guard let first = reports.first else { return "no checkpoint evaluated" + (skipped.isEmpty ? "" : " (passed over: \(skipped.joined(separator: ", ")))") }
        func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
        func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        let perCheckpoint = (reports.first { $0.complete } ?? first).episodes.count
        let played = reports.count == checkpoints.count ? "\(reports.count)" : "\(reports.count) of \(checkpoints.count)"
        let passed = skipped.isEmpty ? "" : " (passed over, unreadable: \(skipped.joined(separator: ", ")))"
        var lines = ["task \(first.task), \(played) checkpoint\(checkpoints.count == 1 ? "" : "s")\(passed), \(perCheckpoint) episodes each, seed \(first.seed), actions \(first.greedy ? "greedy" : "sampled")",
                     pad("env steps", 12) + pad("version", 9) + pad("return", 20) + pad("success", 18) + pad("length", 10)]
        for r in reports {
            let g = r.figures
            let success = g.successRate.map { "\(f(100 * $0, 1))% ± \(f(100 * (g.successStandardError ?? 0), 1))%" } ?? "-"
            lines.append(pad("\(r.envSteps)", 12) + pad("\(r.policyVersion)", 9) + pad("\(f(g.meanReturn)) ± \(f(g.returnStandardError))", 20)
                         + pad(success, 18) + pad(f(g.meanLength, 1), 10) + (r.complete ? "" : "  (stopped early: \(r.episodes.count) episodes)"))
        }
        return lines.joined(separator: "\n")
    }

    /// Writes each complete report's figures as TensorBoard scalars at step = the checkpoint's env
    /// steps: `evaluate/mean_return`, `evaluate/return_standard_error`, `evaluate/mean_length`,
    /// `evaluate/success_rate` (a task with a goal); `evaluate_greedy/…` for greedy actions.
    /// `directory` is the run's TensorBoard directory; the figures go to its `evaluate`
    /// subdirectory, a TensorBoard run of their own, one file per checkpoint and action choice, so
    /// that evaluating a checkpoint again replaces its points (a second file would draw them twice)
    /// and the training curves' files are never read around a newer one. Returns that subdirectory.
    @discardableResult
    public static func writeTensorBoard(_ reports: [EvaluationReport], to directory: URL) throws -> URL {
        let evaluations = directory.appendingPathComponent("evaluate", isDirectory: true)
        let now = Date().timeIntervalSince1970
        for r in reports where r.complete && !r.episodes.isEmpty {
            let (prefix, name) = r.greedy ? ("evaluate_greedy/", "greedy") : ("evaluate/", "sampled")
            let log = try TensorBoardLog(directory: evaluations, name: String(format: "%012llu", r.envSteps) + ".\(name)", wallTime: now)
            let g = r.figures
            var scalars = [("mean_return", g.meanReturn), ("return_standard_error", g.returnStandardError), ("mean_length", g.meanLength)]
            if let p = g.successRate { scalars.append(("success_rate", p)) }
            try log.write(step: Int64(r.envSteps), wallTime: now, scalars: scalars.map { (prefix + $0.0, $0.1) })
        }
        return evaluations
    }
}
