import Foundation

/// The episodes `yendor evaluate` played and what they add up to; written as JSON with `--json`.
public struct EvaluationReport: Codable, Sendable, Equatable {
    /// One episode as it ended.
    public struct Episode: Codable, Sendable, Equatable {
        /// The env that played it (0..<envs over all rollout actors).
        public var env: Int
        /// Its place among that env's episodes (0 first).
        public var index: Int
        /// The environment's return (no intrinsic reward).
        public var episodeReturn: Double
        /// Steps taken.
        public var length: Int
        /// Whether the task's goal was reached.
        public var success: Bool
        /// Ended by the env raising (env servers): truncated there, and counted as it ended.
        public var endedByError = false

        enum CodingKeys: String, CodingKey {
            case env, index, length, success
            case episodeReturn = "return"
            case endedByError = "ended_by_error"
        }
    }

    /// What the episodes add up to, worked out when the report is made.
    public struct Figures: Codable, Sendable, Equatable {
        /// Nil without an episode (written as null: a 0 read as a measurement would mislead).
        public let meanReturn: Double?
        /// The standard error of `meanReturn` (sample standard deviation / √n); nil below two
        /// episodes, where it is undefined.
        public let returnStandardError: Double?
        public let meanLength: Double?
        /// Nil for a task that cannot be won, or without an episode.
        public let successRate: Double?
        /// The standard error of `successRate`, √(p(1−p)/n); nil below two episodes.
        public let successStandardError: Double?

        init(_ episodes: [Episode], taskDefinesSuccess: Bool) {
            func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
            let n = Double(episodes.count), m = mean(episodes.map(\.episodeReturn))
            meanReturn = m
            returnStandardError = m.flatMap { m in n > 1 ? (episodes.reduce(0) { $0 + ($1.episodeReturn - m) * ($1.episodeReturn - m) } / (n - 1) / n).squareRoot() : nil }
            meanLength = mean(episodes.map { Double($0.length) })
            let p = taskDefinesSuccess ? mean(episodes.map { $0.success ? 1 : 0 }) : nil
            successRate = p
            successStandardError = n > 1 ? p.map { ($0 * (1 - $0) / n).squareRoot() } : nil
        }

        enum CodingKeys: String, CodingKey {
            case meanReturn = "mean_return", returnStandardError = "return_standard_error", meanLength = "mean_length"
            case successRate = "success_rate", successStandardError = "success_standard_error"
        }

        /// The mean return as printed, "± standard error" where there is one; nil without episodes.
        public var returnText: String? { meanReturn.map { m in Self.format(m) + (returnStandardError.map { " ± \(Self.format($0))" } ?? "") } }
        /// The success rate as printed, in percent, "± standard error" where there is one.
        public var successText: String? {
            successRate.map { p in "\(Self.format(100 * p, 1))%" + (successStandardError.map { " ± \(Self.format(100 * $0, 1))%" } ?? "") }
        }

        static func format(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

        /// A figure that is undefined is written as null, not left out: every report has the same keys.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(meanReturn, forKey: .meanReturn)
            try c.encode(returnStandardError, forKey: .returnStandardError)
            try c.encode(meanLength, forKey: .meanLength)
            try c.encode(successRate, forKey: .successRate)
            try c.encode(successStandardError, forKey: .successStandardError)
        }
    }

    public let task: String
    /// Whether the task can be won (`score` cannot): without, no success rate is reported.
    public let taskDefinesSuccess: Bool
    /// The run directory and the checkpoint directory the weights came from.
    public let runDirectory: String
    public let checkpoint: String
    public let policyVersion: Int64
    /// Env steps the run had taken when the checkpoint was written.
    public let envSteps: UInt64
    /// `run.seed` of the evaluation: with the same configuration, the same episodes.
    public let seed: UInt64
    /// Envs that played (over all rollout actors).
    public let envs: Int
    /// Whether actions were the policy's most probable (`--greedy`) rather than sampled.
    public let greedy: Bool
    /// False when the evaluation was stopped (SIGINT/SIGTERM) before every env had played its share.
    public let complete: Bool
    /// Stopped early: episodes that had ended beyond an equal share of every env, left out (they
    /// would over-count the short ones).
    public let leftOut: Int
    /// Wall-clock seconds the episodes took.
    public let seconds: Double
    /// Env servers only: failed requests to a server while evaluating; the episodes a failure cut
    /// short are not in `episodes` (those an env ended by raising are, marked `endedByError`).
    public let serverFailures: Int
    /// By env, then in the order each env ended them: an equal number from every env.
    public let episodes: [Episode]
    public let figures: Figures

    public init(task: String, taskDefinesSuccess: Bool, runDirectory: String, checkpoint: String, policyVersion: Int64, envSteps: UInt64,
                seed: UInt64, envs: Int, greedy: Bool, complete: Bool, leftOut: Int, seconds: Double, episodes: [Episode],
                serverFailures: Int = 0) {
        self.task = task
        self.taskDefinesSuccess = taskDefinesSuccess
        self.runDirectory = runDirectory
        self.checkpoint = checkpoint
        self.policyVersion = policyVersion
        self.envSteps = envSteps
        self.seed = seed
        self.envs = envs
        self.greedy = greedy
        self.complete = complete
        self.leftOut = leftOut
        self.seconds = seconds
        self.serverFailures = serverFailures
        self.episodes = episodes
        figures = Figures(episodes, taskDefinesSuccess: taskDefinesSuccess)
    }

    enum CodingKeys: String, CodingKey {
        case task, checkpoint, seed, envs, greedy, complete, seconds, episodes, figures
        case taskDefinesSuccess = "task_defines_success"
        case runDirectory = "run_dir"
        case policyVersion = "policy_version"
        case envSteps = "env_steps"
        case leftOut = "left_out"
        case serverFailures = "server_failures"
    }

    /// What `yendor evaluate` prints.
    public var summary: String {
        func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
        let share = envs > 0 ? episodes.count / envs : 0
        let stopped = complete ? "" : """

                        stopped early: \(share) from each env\(leftOut > 0 ? "; \(leftOut) more that had ended are left out (an unequal share over-counts short episodes)" : "")
        """
        let g = figures
        let success = g.successText ?? "- (\(task) has no goal to reach)"
        let spread = g.returnStandardError.map { " ± \(f($0)) (mean ± standard error)" } ?? " (mean of one episode: no standard error)"
        let figureLines = episodes.isEmpty ? "no episode to show (stopped before every env had ended one)" : """
        return          \(f(g.meanReturn ?? 0))\(spread), min \(f(episodes.map(\.episodeReturn).min() ?? 0)), max \(f(episodes.map(\.episodeReturn).max() ?? 0))
        success         \(success)
        length          \(f(g.meanLength ?? 0, 1)) steps (mean)
        """
        let errors = episodes.filter(\.endedByError).count
        let faults = errors + serverFailures == 0 ? "" : """

        env faults      \(errors) of these episodes ended by an env error (truncated there, and counted as they ended); \(serverFailures) env-server failure\(serverFailures == 1 ? "" : "s") (the episodes they cut short are not counted)
        """
        return """
        task \(task), policy version \(policyVersion) (\(envSteps) env steps), \(checkpoint)
        actions         \(greedy ? "greedy (the most probable)" : "sampled from the policy"), seed \(seed)
        episodes        \(episodes.count) (\(envs) envs, \(share) each) in \(f(seconds, 1)) s\(stopped)
        \(figureLines)\(faults)
        """
    }
}
