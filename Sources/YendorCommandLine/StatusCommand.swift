import ArgumentParser
import Foundation
import YendorRuntime
import YendorSupport
import YendorWire
import ZeroMQ

/// `yendor status learner|annotator`: what a running role publishes (its Stats messages on the PUB
/// socket it already has), as a table: membership, SPS, policy lag, replay, labels, queues.
/// On a terminal it refreshes with every Stats; otherwise (or with --once) it prints one and exits.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running learner's or annotator's status (membership, SPS, lag, replay, labels, queue).",
        discussion: """
            Examples:
              yendor status learner --endpoint tcp://10.0.0.5:5556
              yendor status learner --run-dir runs/my-run
              yendor status annotator --endpoint tcp://10.0.0.6:5558 --json
            Without --endpoint the configured endpoint is used with 0.0.0.0 replaced by 127.0.0.1.
            \(RunOptions.probeDiscussion)
            """)

    enum Role: String, ExpressibleByArgument, CaseIterable { case learner, annotator }

    @Argument(help: "Role to show: learner or annotator.")
    var role: Role

    @Option(help: "The role's PUB endpoint (learner: transport.weights, annotator: transport.annotator_labels).")
    var endpoint: String?

    @Flag(help: "Print the status as one JSON object per update.")
    var json = false

    @Flag(help: "Print one status and exit (the default when not on a terminal).")
    var once = false

    @Option(help: "Seconds to wait for the first status.")
    var timeout: Double = 30

    /// The probed role's own flags, accepted so that a job script can pass them unchanged; only what
    /// locates the role (`--config`, `--set transport.…`, `--run-dir`) is used.
    @OptionGroup(title: RunOptions.probeTitle) var options: RunOptions

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be in (0, 86400] seconds, got \(timeout)") }
    }

    func run() throws {
        let probe = try options.probeTargetOrExit(command: "status", annotator: role == .annotator, endpoint: endpoint)
        let c = probe.configuration, target = probe.endpoint
        let context = try Context()
        defer { context.terminate() }
        let socket = try Socket(context: context, type: .sub)
        defer { socket.close() }
        try socket.set(probe.security)
        try socket.set([.subscribe([]), .linger(milliseconds: 0), .maxMessageSize(c.transport.maxMessageMiB << 20)])
        try socket.connect(target)
        let limits = WireLimits(maxMessageBytes: c.transport.maxMessageMiB << 20)
        let refresh = !once && isatty(STDOUT_FILENO) == 1
        var deadline = ContinuousClock.now + .seconds(clamping: timeout)
        // Heartbeats come every second, Stats less often (a learner's with each metrics record): a
        // role heard but whose status did not come in time is up, and is not said to be silent.
        var heard = false
        while true {
            let left = (deadline - .now).seconds
            guard left > 0 else {
                let every = role == .learner ? "with each metrics record (run.log_interval)" : "every second"
                let said = heard
                    ? "the \(role.rawValue) at \(target) is up (its heartbeats came) but sent no status within \(timeout) s: it sends one \(every); give a longer --timeout"
                    : "no status from the \(role.rawValue) at \(target) within \(timeout) s"
                FileHandle.standardError.write(Data("yendor status: \(said)\n".utf8))
                throw ExitCode(1)
            }
            try socket.set(.receiveTimeout(milliseconds: max(1, Duration.milliseconds(clamping: left))))
            guard let parts = try? socket.receive(), let frame = parts.last,
                  let message = try? frame.withUnsafeBytes({ try WireMessage.decode($0, limits: limits) }) else { continue }
            if case .heartbeat = message { heard = true }
            guard case .stats(let stats) = message, stats.role == role.rawValue else { continue }
            let text = json ? Self.json(stats) : Self.table(stats, endpoint: target)
            if refresh && !json { print("\u{1B}[H\u{1B}[2J", terminator: "") }
            print(text)
            fflush(nil)
            if !refresh { return }
            deadline = .now + .seconds(clamping: timeout)
        }
    }

    static func json(_ stats: Stats) -> String {
        var object: [String: Any] = ["id": stats.id, "role": stats.role, "time": Double(stats.timeNanos) / 1e9]
        var values: [String: Double] = [:]
        for (k, v) in stats.values where v.isFinite { values[k] = v }
        object["values"] = values
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A readable table of a Stats message: headline figures, then the workers.
    static func table(_ stats: Stats, endpoint: String) -> String {
        var v: [String: Double] = [:]
        for (k, x) in stats.values { v[k] = x }
        func f(_ key: String, _ format: String = "%.0f") -> String { v[key].map { String(format: format, $0) } ?? "-" }
        var lines = [stats.role == stats.id ? "\(stats.role) at \(endpoint)" : "\(stats.role) \(stats.id) at \(endpoint)"]
        if stats.role == "learner" {
            lines.append("env steps \(f("env_steps")) / \(f("run/total_steps"))   SPS \(f("rollout/sps"))   updates \(f("learner/updates"))   policy version \(f("learner/policy_version"))   lag \(f("learner/policy_lag", "%.2f"))   samples too stale \(f("learner/samples_dropped_lag"))")
            // No success rate for a task that cannot be won (`score`), nor before the first episode ends.
            lines.append("episodes \(f("rollout/episodes"))   mean return \(f("rollout/mean_return", "%.2f"))"
                         + (v["rollout/success_rate"].map { String(format: "   success %.1f%%", $0 * 100) } ?? ""))
            lines.append("replay \(f("replay/size")) items   frames dropped \(f("transport/frames_dropped"))   labels received \(f("rewards/labels_received"))   label queries waiting \(f("rewards/query_queue_depth"))")
            // What failed, once something has (each is logged by the learner; a full disk, trial Y).
            let failures = [("checkpoint failures", "learner/checkpoint_failures"), ("label store errors", "annotator/errors/store"),
                            ("labels lost", "annotator/labels_lost")].compactMap { name, key in
                (v[key] ?? 0) > 0 ? "\(name) \(f(key))" : nil
            }
            if !failures.isEmpty { lines.append("failed: " + failures.joined(separator: "   ") + "   (the learner's log says why)") }
            if let reachable = v["annotator/reachable"] {  // only with a remote annotator (reward.annotator)
                lines.append(reachable > 0 ? "annotator: reachable (last heard \(f("annotator/last_heard_s", "%.1f")) s ago)"
                                           : "annotator: unreachable (no reply for \(f("annotator/last_heard_s", "%.0f")) s)")
            }
            // w2 before w10.
            let ids = Set(v.keys.filter { $0.hasPrefix("worker/") }.compactMap { $0.split(separator: "/").dropFirst().first.map(String.init) })
                .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
            lines.append("workers: \(ids.count)")
            // Workers stepping env servers also say how many of the servers' requests failed.
            let servers = ids.contains { v["worker/\($0)/env_server_failures"] != nil }
            lines.append("  " + "id".padding(toLength: 28, withPad: " ", startingAt: 0) + "   envs  trajectories  too stale  last heard  policy"
                         + (servers ? "  env server failures" : ""))
            for id in ids {
                func w(_ k: String, _ format: String = "%.0f") -> String { v["worker/\(id)/\(k)"].map { String(format: format, $0) } ?? "-" }
                func right(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
                lines.append("  " + id.padding(toLength: 28, withPad: " ", startingAt: 0) + right(w("envs"), 7)
                             + right(w("trajectories"), 14) + right(w("samples_dropped_lag"), 11)
                             + right(w("last_heard_s", "%.1f") + "s", 12) + right(w("policy_version"), 8)
                             + (servers ? right(w("env_server_failures"), 21) : ""))
            }
            for (k, x) in stats.values where k.hasPrefix("transport/frames_dropped/") { lines.append("  dropped \(k.dropFirst(25)): \(Int(x))") }
        } else {
            lines += annotatorLines(v)
        }
        return lines.joined(separator: "\n")
    }

    /// An annotator's Stats: its queue and throughput, latency, the errors there were, then every
    /// other figure that is not 0 (all of them are in --json).
    static func annotatorLines(_ v: [String: Double]) -> [String] {
        var shown: Set<String> = ["annotator/started_at_seconds"]
        func n(_ key: String) -> String {
            shown.insert("annotator/\(key)")
            return String(format: "%.0f", v["annotator/\(key)"] ?? 0)
        }
        func ms(_ key: String) -> String {
            shown.insert("annotator/\(key)")
            return v["annotator/\(key)"].map { String(format: "%.0f ms", $0 * 1000) } ?? "-"
        }
        shown.insert("annotator/labels_per_second")
        let rate = String(format: "%.1f", v["annotator/labels_per_second"] ?? 0)
        var lines = [
            "queue \(n("queue_depth"))   in flight \(n("in_flight"))   labeled \(n("labeled")) (\(rate)/s)   from the store \(n("cache_hits"))   requests \(n("requests"))",
            "submitted \(n("submitted"))   duplicates \(n("duplicates"))   dropped \(n("dropped"))   withdrawn \(n("withdrawn"))",
            "latency p50 \(ms("latency_p50_seconds"))   p90 \(ms("latency_p90_seconds"))   p99 \(ms("latency_p99_seconds"))",
        ]
        let errors = v.filter { $0.key.hasPrefix("annotator/errors/") }
        shown.formUnion(errors.keys)
        let happened = errors.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key.dropFirst("annotator/errors/".count)) \(Int($0.value))" }
        lines.append("errors: " + (happened.isEmpty ? "none" : happened.joined(separator: ", ")))
        for (k, x) in v.sorted(by: { $0.key < $1.key }) where !shown.contains(k) && x != 0 {
            lines.append("  \(k) = \(x == x.rounded() ? String(Int64(x)) : String(format: "%.3f", x))")
        }
        return lines
    }
}
