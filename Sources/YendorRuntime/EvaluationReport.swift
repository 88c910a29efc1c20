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

        enum CodingKeys: String, CodingKey {
            case env, index, length, success
            case episodeReturn = "return"
        }
    }

    public var task: String
    /// Whether the task can be won (`score` cannot): without, no success rate is reported.
    public var taskDefinesSuccess: Bool
    /// The run directory and the checkpoint directory the weights came from.
    public var runDirectory: String
    public var checkpoint: String
    public var policyVersion: Int64
    /// Env steps the run had taken when the checkpoint was written.
    public var envSteps: UInt64
    /// `run.seed` of the evaluation: with the same configuration, the same episodes.
    public var seed: UInt64
    /// Envs that played (over all rollout actors).
    public var envs: Int
    /// Whether actions were the policy's most probable (`--greedy`) rather than sampled.
    public var greedy: Bool
    /// False when the evaluation was stopped (SIGINT/SIGTERM) before every env had played its share.
    public var complete: Bool
    /// Stopped early: episodes that had ended beyond an equal share of every env, left out (they
    /// would over-count the short ones).
    public var leftOut: Int
    /// Wall-clock seconds the episodes took.
    public var seconds: Double
    /// By env, then in the order each env ended them: an equal number from every env.
    public var episodes: [Episode]

    enum CodingKeys: String, CodingKey {
        case task, checkpoint, seed, envs, greedy, complete, seconds, episodes
        case taskDefinesSuccess = "task_defines_success"
        case runDirectory = "run_dir"
        case policyVersion = "policy_version"
        case envSteps = "env_steps"
        case leftOut = "left_out"
    }

    /// The figures below, written next to the episodes (the success rate for a task that has one).
    private enum SummaryKeys: String, CodingKey {
        case meanReturn = "mean_return", returnStandardError = "return_standard_error"
        case successRate = "success_rate", successStandardError = "success_standard_error", meanLength = "mean_length"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(taskDefinesSuccess, forKey: .taskDefinesSuccess)
        try c.encode(runDirectory, forKey: .runDirectory)
        try c.encode(checkpoint, forKey: .checkpoint)
        try c.encode(policyVersion, forKey: .policyVersion)
        try c.encode(envSteps, forKey: .envSteps)
        try c.encode(seed, forKey: .seed)
        try c.encode(envs, forKey: .envs)
        try c.encode(greedy, forKey: .greedy)
        try c.encode(complete, forKey: .complete)
        try c.encode(leftOut, forKey: .leftOut)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(episodes, forKey: .episodes)
        var s = encoder.container(keyedBy: SummaryKeys.self)
        try s.encode(meanReturn, forKey: .meanReturn)
        try s.encode(returnStandardError, forKey: .returnStandardError)
        if taskDefinesSuccess {
            try s.encode(successRate, forKey: .successRate)
            try s.encode(successStandardError, forKey: .successStandardError)
        }
        try s.encode(meanLength, forKey: .meanLength)
    }

    public var meanReturn: Double { mean(episodes.map(\.episodeReturn)) }

    /// The standard error of `meanReturn` (sample standard deviation / √n); 0 below two episodes.
    public var returnStandardError: Double {
        let n = Double(episodes.count)
        guard n > 1 else { return 0 }
        let m = meanReturn
        let variance = episodes.reduce(0) { $0 + ($1.episodeReturn - m) * ($1.episodeReturn - m) } / (n - 1)
        return (variance / n).squareRoot()
    }

    public var successRate: Double { mean(episodes.map { $0.success ? 1 : 0 }) }

    /// The standard error of `successRate`, √(p(1−p)/n); 0 without episodes.
    public var successStandardError: Double {
        episodes.isEmpty ? 0 : (successRate * (1 - successRate) / Double(episodes.count)).squareRoot()
    }

    public var meanLength: Double { mean(episodes.map { Double($0.length) }) }

    /// What `yendor evaluate` prints.
    public var summary: String {
        func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
        let share = envs > 0 ? episodes.count / envs : 0
        let stopped = complete ? "" : """

                        stopped early: \(share) from each env\(leftOut > 0 ? "; \(leftOut) more that had ended are left out (an unequal share over-counts short episodes)" : "")
        """
        let figures = episodes.isEmpty ? "no episode to show (stopped before every env had ended one)" : """
        return          \(f(meanReturn)) ± \(f(returnStandardError)) (mean ± standard error), min \(f(episodes.map(\.episodeReturn).min() ?? 0)), max \(f(episodes.map(\.episodeReturn).max() ?? 0))
        success         \(taskDefinesSuccess ? "\(f(100 * successRate, 1))% ± \(f(100 * successStandardError, 1))%" : "- (\(task) has no goal to reach)")
        length          \(f(meanLength, 1)) steps (mean)
        """
        return """
        task \(task), policy version \(policyVersion) (\(envSteps) env steps), \(checkpoint)
        actions         \(greedy ? "greedy (the most probable)" : "sampled from the policy"), seed \(seed)
        episodes        \(episodes.count) (\(envs) envs, \(share) each) in \(f(seconds, 1)) s\(stopped)
        \(figures)
        """
    }

    private func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}
