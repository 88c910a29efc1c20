import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// Evaluates every checkpoint a run kept, oldest first, each with the same seed and the same
/// number of episodes, so that the points differ by the weights alone (`yendor evaluate
/// --all-checkpoints`). A graceful shutdown cuts the checkpoint being played short (its report
/// says it is incomplete); the checkpoints not reached are not evaluated.
public final class LearningCurve: Service, Sendable {
    /// Each point's evaluation, the same for every checkpoint (episodes, seed, action selection).
    public let evaluation: Evaluator.Configuration
    /// The checkpoint directories, in the order they are played.
    public let checkpoints: [URL]
    private let context: Context
    private let logger: Logger
    private let played = Mutex<[EvaluationReport]>([])
    /// Checkpoints passed over, by name, and whether for holding another model (else: unreadable).
    private let passedOver = Mutex<[(name: String, anotherModel: Bool)]>([])

    public init(evaluation: Evaluator.Configuration, checkpoints: [URL], context: Context, logger: Logger) {
        self.evaluation = evaluation
        self.checkpoints = checkpoints
        self.context = context
        self.logger = logger
    }

    /// The checkpoints of the run in `runDirectory`, oldest first: every one by its name, so that
    /// one that does not read is passed over and said, not left out of the curve without a word.
    public static func checkpoints(runDirectory: String) -> [URL] {
        Checkpoints(directory: URL(fileURLWithPath: runDirectory).appendingPathComponent("checkpoints")).directories()
    }

    /// One report per checkpoint played, in order.
    public var reports: [EvaluationReport] { played.withLock { $0 } }
    /// Checkpoints passed over, by name: they do not read (the run, still training, removed them
    /// meanwhile; a disk error) or hold another model.
    public var skipped: [String] { passedOver.withLock { $0.map(\.name) } }

    public func run() async throws {
        for (k, checkpoint) in checkpoints.enumerated() where !Task.isShuttingDownGracefully {
            // Loaded one at a time: a run with many milestones need not hold every one's weights.
            let policy: Evaluator.Policy
            do {
                policy = try Evaluator.policy(runDirectory: evaluation.training.run.directory, checkpoint: checkpoint.path, for: evaluation.training)
            } catch {
                logger.warning("checkpoint \(k + 1) of \(checkpoints.count), \(checkpoint.lastPathComponent), passed over: \(error)")
                let anotherModel = (error as? ConfigurationError)?.field == "model"
                passedOver.withLock { $0.append((checkpoint.lastPathComponent, anotherModel)) }
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
        let reports = reports, skipped = passedOver.withLock { $0 }
        func names(_ anotherModel: Bool) -> [String] { skipped.filter { $0.anotherModel == anotherModel }.map(\.name) }
        let passed = [("unreadable", names(false)), ("another model", names(true))].filter { !$0.1.isEmpty }
            .map { " (passed over, \($0.0): \($0.1.joined(separator: ", ")))" }.joined()
        guard let first = reports.first else { return "no checkpoint evaluated" + passed }
        let perCheckpoint = (reports.first { $0.complete } ?? first).episodes.count
        let played = reports.count == checkpoints.count ? "\(reports.count)" : "\(reports.count) of \(checkpoints.count)"
        let lines = ["task \(first.task), \(played) checkpoint\(checkpoints.count == 1 ? "" : "s")\(passed), \(perCheckpoint) episodes each, seed \(first.seed), actions \(first.greedy ? "greedy" : "sampled")",
                     Self.pad("env steps", 12) + Self.pad("version", 9) + Self.pad("return", 20) + Self.pad("success", 18) + Self.pad("length", 10)]
        return (lines + reports.map(row)).joined(separator: "\n")
    }

    /// One checkpoint's row of `table()`; undefined figures (no episode, or one: no standard
    /// error) are "-", not 0.
    func row(_ r: EvaluationReport) -> String {
        let g = r.figures
        return Self.pad("\(r.envSteps)", 12) + Self.pad("\(r.policyVersion)", 9) + Self.pad(g.returnText ?? "-", 20) + Self.pad(g.successText ?? "-", 18)
            + Self.pad(g.meanLength.map { EvaluationReport.Figures.format($0, 1) } ?? "-", 10) + (r.complete ? "" : "  (stopped early: \(r.episodes.count) episodes)")
    }

    private static func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

    /// Writes each complete report's figures as TensorBoard scalars at step = the checkpoint's env
    /// steps: `evaluate/mean_return`, `evaluate/return_standard_error`, `evaluate/mean_length`,
    /// `evaluate/success_rate` (a task with a goal); `evaluate_greedy/…` for greedy actions; a task
    /// other than the run's own (`runTask`) adds its name (`evaluate_oracle/…`), so it draws a curve
    /// of its own instead of replacing the run's points. `directory` is the run's TensorBoard
    /// directory; the figures go to its `evaluate` subdirectory, a TensorBoard run of their own, one
    /// file per checkpoint, task and action choice, so that evaluating a checkpoint again replaces
    /// its points (a second file would draw them twice) and the training curves' files are never
    /// read around a newer one. Returns that subdirectory.
    @discardableResult
    public static func writeTensorBoard(_ reports: [EvaluationReport], runTask: String, to directory: URL) throws -> URL {
        let evaluations = directory.appendingPathComponent("evaluate", isDirectory: true)
        let now = Date().timeIntervalSince1970
        for r in reports where r.complete && !r.episodes.isEmpty {
            let choice = r.greedy ? "greedy" : "sampled"
            // A task name as a tag and file name part: letters, digits, - and _ only.
            let task = r.task == runTask ? nil : String(r.task.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            let prefix = "evaluate" + (r.greedy ? "_greedy" : "") + (task.map { "_" + $0 } ?? "") + "/"
            let name = String(format: "%012llu", r.envSteps) + (task.map { ".\($0)" } ?? "") + ".\(choice)"
            let log = try TensorBoardLog(directory: evaluations, name: name, wallTime: now)
            let g = r.figures
            let scalars = [("mean_return", g.meanReturn), ("return_standard_error", g.returnStandardError), ("mean_length", g.meanLength),
                           ("success_rate", g.successRate)]
            try log.write(step: Int64(r.envSteps), wallTime: now, scalars: scalars.compactMap { name, value in value.map { (prefix + name, $0) } })
        }
        return evaluations
    }
}
