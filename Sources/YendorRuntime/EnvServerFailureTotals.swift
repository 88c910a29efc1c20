/// The env-server failures of a run, from the counts each worker process reports in its Hellos
/// (`env_server_failures`, `env_server_reopen_failures`, `env_errors`: totals since that process
/// started). A
/// process that is no longer a member keeps its last counts in the total, so the run's figures
/// never go down when a worker leaves or restarts (a restart is a new instance, counting from 0).
struct EnvServerFailureTotals: Sendable {
    /// The Hello capabilities, in the order of the counts.
    static let keys = ["env_server_failures", "env_server_reopen_failures", "env_errors"]
    private var last: [String: [Double]] = [:]
    private var departed: [Double] = Array(repeating: 0, count: keys.count)

    /// Takes the current members' reports (keyed by id and instance); returns the run's totals,
    /// nil while no worker has ever reported.
    mutating func update(_ reports: [(worker: String, counts: [Double])]) -> [Double]? {
        let now = Dictionary(reports, uniquingKeysWith: { _, newer in newer })
        for (worker, counts) in last where now[worker] == nil { departed = zip(departed, counts).map(+) }
        last = now
        guard !now.isEmpty || departed.contains(where: { $0 != 0 }) else { return nil }
        return now.values.reduce(departed) { zip($0, $1).map(+) }
    }
}
