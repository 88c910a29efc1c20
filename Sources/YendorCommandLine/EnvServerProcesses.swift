import Foundation
import Logging
import RemoteEnvironment
import YendorRuntime
import YendorSupport

/// `yendor train --env gym:ENV_ID`: K local `yendor-env serve` processes, started before the roles,
/// each answering on an ipc socket in the run directory, restarted when one exits during the run
/// (the workers reconnect to it; it is started again for as long as the run lasts), and stopped with
/// the run.
final class EnvServerProcesses: Sendable {
    let endpoints: [String]
    private let supervisor: ProcessSupervisor

    /// Starts `count` servers of `envID`, `envs` envs each (each also given `extraArguments`), and
    /// waits until each answers its handshake. SIGINT/SIGTERM (`ShutdownSignals`) end the wait: the
    /// servers are stopped and `CancellationError` thrown.
    init(envID: String, count: Int, envs: Int, seed: UInt64, extraArguments: [String] = [], socketDirectory: String, logDirectory: URL,
         timeout: Double) throws {
        let executable = try Self.locate()
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        // Named for this process too: a second `yendor train` on the same run directory (refused
        // once it reaches the directory's lock, after this) must not take over the first's sockets.
        let endpoints = (0..<count).map { "ipc://\(socketDirectory)/env-server-\($0).\(getpid())" }
        self.endpoints = endpoints
        // --parent-pid: a server whose `yendor` is killed (not stopped) stops by itself.
        let children = endpoints.enumerated().map { k, endpoint in
            ProcessSupervisor.Child(
                name: "env server \(k) (\(endpoint))",
                arguments: ["serve", "--env", envID, "--num-envs", "\(envs)", "--bind", endpoint, "--seed", "\(seed &+ UInt64(k * envs))",
                            "--parent-pid", "\(getpid())"] + extraArguments,
                log: logDirectory.appendingPathComponent("env-server-\(k).log"))
        }
        supervisor = ProcessSupervisor(executable: executable, children: children, persistence: .always)
        try supervisor.start()
        // Asked once a second, so a server that exits (an env it cannot make, a space it refuses)
        // fails the start at once instead of after `timeout`.
        for (k, endpoint) in endpoints.enumerated() {
            let deadline = ContinuousClock.now + .seconds(clamping: timeout)
            while true {
                do {
                    _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 1, stop: ShutdownSignals.flag)
                    break
                } catch RemoteEnvironmentError.serverUnavailable {
                    let process = supervisor.process(k), exited = process.map { !$0.isRunning } ?? true
                    guard exited || ContinuousClock.now >= deadline else { continue }
                    stop()
                    let why = exited ? "it \(process.map(ProcessSupervisor.ending) ?? "did not start") before answering" : "no answer within \(Int(timeout)) s"
                    throw RemoteEnvironmentError.serverUnavailable(endpoint: endpoint, reason: "\(why); its log (\(supervisor.children[k].log.path)) ends:\n\(supervisor.logTail(k))")
                } catch {
                    stop()
                    throw error
                }
            }
        }
    }

    /// The process ids of the servers now running, in endpoint order (for measuring their CPU time).
    var processIdentifiers: [Int32] { supervisor.processIdentifiers }

    /// From now on a server that exits is started again (saying so to `logger`); before, its exit
    /// fails the start. One that exited meanwhile is started now.
    func superviseRestarts(logger: Logger) { supervisor.supervise(logger: logger) }

    /// Stops every server (SIGTERM, then SIGKILL after 5 s; none is restarted after this) and
    /// removes a socket file one left.
    func stop() {
        supervisor.stop()
        for endpoint in endpoints { TransportConfiguration.removeSocketFile(of: endpoint) }
    }

    /// `.venv/bin/yendor-env` near the working directory or the `yendor` binary, else `yendor-env`
    /// on PATH (a virtualenv of the user's own, made with `pip install ./python`).
    static func locate() throws -> URL {
        if let url = RepositoryFile.find(".venv/bin/yendor-env", accept: FileManager.default.isExecutableFile) { return url }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("yendor-env")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw RemoteEnvironmentError.serverUnavailable(endpoint: "yendor-env",
            reason: "`yendor-env` is neither in .venv/bin (near here or the yendor binary, or under $YENDOR_HOME) nor on PATH: run `make deps`, set YENDOR_HOME to the repository for a binary copied out of it, or `pip install ./python` into a virtualenv and activate it (or start `yendor-env serve` yourself, then `yendor worker --env-server …`)")
    }
}
