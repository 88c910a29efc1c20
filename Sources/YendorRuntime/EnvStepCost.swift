/// What the workers' hosted envs cost per env step while training: the CPU time their `step`
/// took over the env steps taken since the last report, from the totals each worker process
/// reports in its Hellos (`env_cpu_seconds`, `env_steps_stepped`: since that process started).
/// A game step costs more among a worker's many games than alone (their state competes for the
/// caches), which `yendor bench env`'s single game cannot show.
struct EnvStepCost: Sendable {
    /// The Hello capabilities: CPU seconds, env steps.
    static let keys = (seconds: "env_cpu_seconds", steps: "env_steps_stepped")
    private var last: [String: (seconds: Double, steps: Double)] = [:]

    /// Takes the current members' totals (keyed by id and instance); returns the mean CPU seconds
    /// per env step over what they stepped since the last call, nil when none reported more.
    mutating func update(_ reports: [(worker: String, seconds: Double, steps: Double)]) -> Double? {
        var seconds = 0.0, steps = 0.0
        var now: [String: (seconds: Double, steps: Double)] = [:]
        for r in reports {
            let before = last[r.worker] ?? (0, 0)
            seconds += max(0, r.seconds - before.seconds)
            steps += max(0, r.steps - before.steps)
            now[r.worker] = (r.seconds, r.steps)
        }
        last = now
        return steps > 0 ? seconds / steps : nil
    }
}
