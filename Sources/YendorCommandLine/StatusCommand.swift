import ArgumentParser
import Foundation
import YendorRuntime
import YendorSupport
import YendorWire
import ZeroMQ

/// `yendor status learner|annotator`: what a running role publishes (its Stats messages on the PUB
/// socket it already has), as a table: membership, SPS, policy lag, replay, labels, queues.
/// On a terminal (or with --watch) it prints every Stats and says when the role falls silent;
/// otherwise (or with --once) it prints one and exits.
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

    @Flag(help: "Print every status as it comes, also when not on a terminal (into a log, or with --json into a pipe).")
    var watch = false

    @Option(help: "Seconds to wait for the first status.")
    var timeout: Double = 30

    /// The probed role's own flags, accepted so that a job script can pass them unchanged; only what
    /// locates the role (`--config`, `--set transport.…`, `--run-dir`) is used.
    @OptionGroup(title: RunOptions.probeTitle) var options: RunOptions

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be in (0, 86400] seconds, got \(timeout)") }
        guard !(once && watch) else { throw ValidationError("--once and --watch: choose one") }
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
        let onTerminal = isatty(STDOUT_FILENO) == 1
        let keepGoing = watch || (!once && onTerminal)
        var deadline = ContinuousClock.now + .seconds(clamping: timeout)
        // Heartbeats come every second, Stats less often (a learner's with each metrics record): a
        // role whose heartbeats still come but whose status did not in time is up, and is not
        // said to be silent. One whose heartbeats stopped has stopped, hung or gone out of reach
        // (this said "up" of a role killed after its first status: trial W).
        var lastHeartbeat: ContinuousClock.Instant?
        var lastWord = ContinuousClock.now, lastStatus: ContinuousClock.Instant?, lastID = role.rawValue
        var saidSilent = false
        let silence = max(c.transport.peerTimeout, 2)
        while true {
            let now = ContinuousClock.now
            let left = (deadline - now).seconds
            guard left > 0 else {
                let every = role == .learner ? "with each metrics record (run.log_interval)" : "every second"
                let heartbeatsCome = lastHeartbeat.map { (now - $0).seconds <= silence } ?? false
                let said = heartbeatsCome
                    ? "the \(role.rawValue) at \(target) is up (its heartbeats came) but sent no status within \(timeout) s: it sends one \(every); give a longer --timeout"
                    : lastStatus.map { "the \(role.rawValue) at \(target) has sent nothing for \(Int((now - lastWord).seconds)) s (its last status \(Int((now - $0).seconds)) s ago): it has stopped, hung or gone out of reach" }
                    ?? "no status from the \(role.rawValue) at \(target) within \(timeout) s"
                FileHandle.standardError.write(Data("yendor status: \(said)\n".utf8))
                throw ExitCode(1)
            }
            // Watching: a role that falls silent is said at once below its last figures, which
            // stay on the screen until then as if they were current.
            if keepGoing, lastStatus != nil, !saidSilent, (now - lastWord).seconds > silence {
                let said = "no word from the \(role.rawValue) for \(Int((now - lastWord).seconds)) s: stopped, hung or out of reach? (the figures above are its last)"
                print(json ? Self.silenceJSON(id: lastID, role: role.rawValue, seconds: Int((now - lastWord).seconds)) : "\n\(said)")
                fflush(nil)
                saidSilent = true
            }
            let wait = keepGoing && lastStatus != nil ? min(left, 1) : left
            try socket.set(.receiveTimeout(milliseconds: max(1, Duration.milliseconds(clamping: wait))))
            guard let parts = try? socket.receive(), let frame = parts.last,
                  let message = try? frame.withUnsafeBytes({ try WireMessage.decode($0, limits: limits) }) else { continue }
            lastWord = .now
            if saidSilent, !json { print("(heard from the \(role.rawValue) again)") }
            saidSilent = false
            if case .heartbeat = message { lastHeartbeat = .now }
            guard case .stats(let stats) = message, stats.role == role.rawValue else { continue }
            let text = json ? Self.json(stats) : Self.table(stats, endpoint: target)
            lastID = stats.id
            if keepGoing && onTerminal && !json { print("\u{1B}[H\u{1B}[2J", terminator: "") }
            print(text)
            fflush(nil)
            if !keepGoing { return }
            lastStatus = .now
            deadline = .now + .seconds(clamping: timeout)
        }
    }

    /// A silence in the JSON stream: the keys of a status line, with `silent_seconds` for `values`.
    static func silenceJSON(id: String, role: String, seconds: Int) -> String {
        let object: [String: Any] = ["id": id, "role": role, "time": Date().timeIntervalSince1970, "silent_seconds": seconds]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
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
            lines.append("episodes \(f("rollout/episodes"))   mean return \(f("rollout/mean_return", "%.2f"))   mean length \(f("rollout/mean_length", "%.1f"))"
                         + (v["rollout/success_rate"].map { String(format: "   success %.1f%%", $0 * 100) } ?? "")
                         // Episodes an env ended by raising or by a bad observation (env servers): they
                         // count in the return, and were only in --json (trial G).
                         + ((v["rollout/env_errors"] ?? 0) > 0 ? "   ended by env errors \(f("rollout/env_errors"))" : ""))
            lines.append("replay \(f("replay/size")) items   frames dropped \(f("transport/frames_dropped"))   labels received \(f("rewards/labels_received"))   label queries waiting \(f("rewards/query_queue_depth"))")
            // What failed, once something has (each is logged by the learner; a full disk, trial Y).
            let failures = [("checkpoint failures", "learner/checkpoint_failures"), ("label store errors", "annotator/errors/store"),
                            ("labels lost", "annotator/labels_lost")].compactMap { name, key in
                (v[key] ?? 0) > 0 ? "\(name) \(f(key))" : nil
            }
            if !failures.isEmpty { lines.append("failed: " + failures.joined(separator: "   ") + "   (the learner's log says why)") }
            // A labeler in the learner's process: its queue, errors and LLM server, as `status
            // annotator` shows a remote one's (the learner's own query queue said nothing of them).
            if v["annotator/queue_depth"] != nil {
                lines.append("annotator in this process:")
                lines += annotatorLines(v.filter { $0.key.hasPrefix("annotator/") }).map { "  " + $0 }
            }
            if let reachable = v["annotator/reachable"] {  // only with a remote annotator (reward.annotator)
                lines.append(reachable > 0 ? "annotator: reachable (last heard \(f("annotator/last_heard_s", "%.1f")) s ago)"
                                           : "annotator: unreachable (no reply for \(f("annotator/last_heard_s", "%.0f")) s)")
            }
            // w2 before w10.
            let ids = Set(v.keys.filter { $0.hasPrefix("worker/") }.compactMap { $0.split(separator: "/").dropFirst().first.map(String.init) })
                .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
            // A worker that timed out or left is gone from the table: the counts say it happened
            // (the learner's log names them).
            lines.append("workers: \(ids.count)   joins \(f("membership/joins"))   left \(f("membership/leaves"))   timed out \(f("membership/timeouts"))")
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
        // Latencies of answers that came: none yet reads "-", not 0 ms.
        var latency = "latency p50 \(ms("latency_p50_seconds"))   p90 \(ms("latency_p90_seconds"))   p99 \(ms("latency_p99_seconds"))"
        if (v["annotator/labeled"] ?? 0) == 0 { latency = "latency -   (no answer yet)" }
        var lines = [
            "queue \(n("queue_depth"))   in flight \(n("in_flight"))   labeled \(n("labeled")) (\(rate)/s)   from the store \(n("cache_hits"))   requests \(n("requests"))",
            "submitted \(n("submitted"))   duplicates \(n("duplicates"))   dropped \(n("dropped"))   withdrawn \(n("withdrawn"))",
            latency,
        ]
        if let failing = v["annotator/llm/failing"] {
            shown.insert("annotator/llm/failing")
            // Items wait (in flight, queued) while the breaker holds calls back: the latencies above
            // are those of the last answers, from before.
            if failing > 0 { lines.append("LLM server: FAILING (every call fails; asked once per cooldown until it answers; the log says why)") }
        }
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
