import ArgumentParser
import Foundation
import YendorRuntime
import YendorSupport
import YendorWire
import ZeroMQ

/// `yendor health ROLE`: exits 0 when a role is up, 1 with the reason otherwise. Meant for
/// readiness/liveness probes (Kubernetes) and for job scripts that wait for the learner (Slurm).
///
/// - `learner`: subscribes to the learner's PUB (`transport.weights`) and waits for a `Heartbeat`.
/// - `annotator`: the same on the annotator's PUB (`transport.annotator_labels`).
/// - `worker`: a worker has no socket of its own to ask, so it checks what a worker needs: the
///   process named by `--pid-file` is alive (if given) and the learner's heartbeats reach this host.
///
/// With CURVE on (`--set transport.curve_secret_key_file=… --set transport.curve_server_key=…`) the
/// probe connects as a CURVE client like any role, so its key must be on the server's allow-list.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that a role is up (exit 0) or not (exit 1), for probes and job scripts.",
        discussion: """
            Examples:
              yendor health learner --endpoint tcp://10.0.0.5:5556
              yendor health annotator --endpoint tcp://10.0.0.6:5558 --timeout 10
              yendor health worker --pid-file /run/yendor-worker.pid --endpoint tcp://10.0.0.5:5556
            Without --endpoint the configured endpoint is used with 0.0.0.0 replaced by 127.0.0.1.
            \(RunOptions.probeDiscussion)
            """)

    enum Role: String, ExpressibleByArgument, CaseIterable {
        case learner, annotator, worker
    }

    @Argument(help: "Role to check: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
    var role: Role

    @Option(help: "PUB endpoint to listen to (learner: transport.weights, annotator: transport.annotator_labels; worker: its learner's).")
    var endpoint: String?

    @Option(help: "Seconds to wait for a heartbeat.")
    var timeout: Double = 5

    @Option(name: .customLong("pid-file"), help: "worker: file holding the worker's process id; the check fails if that process is gone.")
    var pidFile: String?

    /// The probed role's own flags, accepted so that a job script can pass them unchanged; only what
    /// locates the role (`--config`, `--set transport.…`, `--run-dir`) is used.
    @OptionGroup(title: RunOptions.probeTitle) var options: RunOptions

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be in (0, 86400] seconds, got \(timeout)") }
        if pidFile != nil && role != .worker { throw ValidationError("--pid-file applies to `health worker` only") }
    }

    func run() throws {
        let probe = try options.probeTargetOrExit(command: "health", annotator: role == .annotator, endpoint: endpoint)
        if let pidFile { try checkProcess(pidFile: pidFile) }
        let c = probe.configuration, target = probe.endpoint
        let name = role == .worker ? "learner (seen from this worker)" : role.rawValue
        let (beat, others) = try awaitHeartbeat(from: target, security: probe.security, maxMessageMiB: c.transport.maxMessageMiB)
        if let beat {
            // An annotator's heartbeat carries no policy.
            let version = role == .annotator ? "" : ", policy version \(beat.policyVersion)"
            print("\(name) at \(target) is up: heartbeat \(beat.sequence) from \(beat.id)\(version)")
        } else {
            let curve = c.transport.curveEnabled ? "; CURVE is on: check the server key and that this key is allowed" : ""
            let wrong = others.isEmpty ? "" : "; heard \(others.sorted().joined(separator: ", ")) there instead"
            FileHandle.standardError.write(Data("yendor health: no heartbeat from the \(name) at \(target) within \(timeout) s (is it running and reachable\(curve)?)\(wrong)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Fails unless the pid file names a running process.
    private func checkProcess(pidFile: String) throws {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else {
            FileHandle.standardError.write(Data("yendor health: cannot read pid file \(pidFile)\n".utf8))
            throw ExitCode(1)
        }
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            FileHandle.standardError.write(Data("yendor health: pid file \(pidFile) does not hold a process id: \(String(reflecting: String(text.prefix(40))))\n".utf8))
            throw ExitCode(1)
        }
        // Signal 0 checks existence; EPERM still means the process exists.
        if kill(pid, 0) != 0 && errno != EPERM {
            FileHandle.standardError.write(Data("yendor health: worker process \(pid) (from \(pidFile)) is not running\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Subscribes to `endpoint` and returns the first heartbeat of the role asked for, or nil when
    /// none arrives in time, with the roles heard instead (a probe pointed at the wrong port must
    /// fail). The learner's heartbeats carry the id `learner`; an annotator's carry its own id, so
    /// one counts once the same sender's Stats said `annotator`. Other messages are skipped.
    private func awaitHeartbeat(from endpoint: String, security: [SocketOption], maxMessageMiB: Int) throws -> (Heartbeat?, others: Set<String>) {
        let context = try Context()
        defer { context.terminate() }
        let socket = try Socket(context: context, type: .sub)
        defer { socket.close() }
        try socket.set(security)
        try socket.set([.subscribe([]), .linger(milliseconds: 0), .maxMessageSize(maxMessageMiB << 20)])
        do { try socket.connect(endpoint) } catch {
            throw ValidationError("--endpoint '\(endpoint)': \(error)")
        }
        let limits = WireLimits(maxMessageBytes: maxMessageMiB << 20)
        let deadline = ContinuousClock.now + .seconds(clamping: timeout)
        var annotators = Set<String>(), others = Set<String>()
        while true {
            let left = (deadline - .now).seconds
            if left <= 0 { return (nil, others) }
            try socket.set(.receiveTimeout(milliseconds: max(1, Duration.milliseconds(clamping: left))))
            let parts: [Message]?
            do { parts = try socket.receive() } catch let e as ZMQError where e.code == EAGAIN { return (nil, others) }
            guard let frame = parts?.last else { continue }
            switch try? frame.withUnsafeBytes({ try WireMessage.decode($0, limits: limits) }) {
            case .heartbeat(let beat)?:
                let isLearner = beat.id == "learner"
                if role == .annotator ? annotators.contains(beat.id) : isLearner { return (beat, others) }
                if isLearner { others.insert("the learner") }
            case .stats(let stats)? where stats.role == "annotator":
                annotators.insert(stats.id)
                if role != .annotator { others.insert("an annotator (\(PeerID.loggable(stats.id, limit: 40)))") }
            default:
                continue
            }
        }
    }
}
