import Foundation
import Logging
import RemoteEnvironment
import Synchronization
import YendorSupport

/// `yendor train --env gym:ENV_ID`: K local `yendor-env serve` processes, started before the roles,
/// each answering on an ipc socket in the run directory, restarted when one exits during the run
/// (the workers reconnect to it), and stopped with the run.
final class EnvServerProcesses: Sendable {
    let endpoints: [String]
    private let executable: URL
    private let arguments: [[String]]
    private let logFiles: [URL]
    private let state: Mutex<State>

    private struct State {
        var processes: [Process]
        var started: [Date]
        /// Exits in a row within `quickExit` seconds of a start, per server.
        var quickExits: [Int]
        /// Servers with a start scheduled (an exit seen twice starts one process).
        var restarting: Set<Int> = []
        var logger: Logger?
        var stopping = false
    }

    /// A server that exits this soon after its start this many times in a row is reported as an error
    /// at each further exit (it is still started again, every 5 s: the workers wait for it).
    private static let quickExit = 10.0, quickExitLimit = 5

    /// Starts `count` servers of `envID`, `envs` envs each, and waits until each answers its handshake.
    init(envID: String, count: Int, envs: Int, seed: UInt64, socketDirectory: String, logDirectory: URL, timeout: Double) throws {
        executable = try Self.locate()
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let endpoints = (0..<count).map { "ipc://\(socketDirectory)/env-server-\($0)" }
        self.endpoints = endpoints
        // --parent-pid: a server whose `yendor` is killed (not stopped) stops by itself.
        arguments = endpoints.enumerated().map { k, endpoint in
            ["serve", "--env", envID, "--num-envs", "\(envs)", "--bind", endpoint, "--seed", "\(seed &+ UInt64(k * envs))",
             "--parent-pid", "\(getpid())"]
        }
        logFiles = (0..<count).map { logDirectory.appendingPathComponent("env-server-\($0).log") }
        state = Mutex(State(processes: [], started: [], quickExits: Array(repeating: 0, count: count)))
        for log in logFiles { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        do {
            for k in 0..<count { try launch(k) }
        } catch {
            stop()
            throw error
        }
        // Asked once a second, so a server that exits (an env it cannot make, a space it refuses)
        // fails the start at once instead of after `timeout`.
        for (k, endpoint) in endpoints.enumerated() {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                do {
                    _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 1)
                    break
                } catch RemoteEnvironmentError.serverUnavailable {
                    let process = state.withLock { $0.processes[k] }, exited = !process.isRunning
                    guard exited || Date() >= deadline else { continue }
                    stop()
                    let why = exited ? "it \(Self.ending(process)) before answering" : "no answer within \(Int(timeout)) s"
                    let log = (try? String(contentsOf: logFiles[k], encoding: .utf8)) ?? ""
                    throw RemoteEnvironmentError.serverUnavailable(endpoint: endpoint, reason: "\(why); its log: \(log.suffix(1500))")
                } catch {
                    stop()
                    throw error
                }
            }
        }
    }

    deinit { stop() }

    /// The process ids of the servers now running, in endpoint order (for measuring their CPU time).
    var processIdentifiers: [Int32] { state.withLock { $0.processes.map(\.processIdentifier) } }

    /// From now on a server that exits is started again (saying so to `logger`); before, its exit
    /// fails the start. One that exited meanwhile is started now.
    func superviseRestarts(logger: Logger) {
        let exited = state.withLock { s -> [(Int, String)] in
            s.logger = logger
            return s.processes.indices.filter { !s.processes[$0].isRunning }.map { ($0, Self.ending(s.processes[$0])) }
        }
        for (k, ending) in exited { restart(k, ending: ending) }
    }

    /// Stops every server (SIGTERM, then SIGKILL after 5 s); none is restarted after this.
    func stop() {
        let processes = state.withLock { s -> [Process] in
            s.stopping = true
            return s.processes
        }
        for p in processes where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(5)
        for p in processes {
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
    }

    /// Starts server `k`, its output appended to its log.
    private func launch(_ k: Int) throws {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments[k]
        let handle = try FileHandle(forWritingTo: logFiles[k])
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        p.terminationHandler = { [weak self] process in self?.restart(k, ending: Self.ending(process)) }
        try state.withLock { s in
            s.restarting.remove(k)
            guard !s.stopping else { return }
            try p.run()
            if k < s.processes.count { s.processes[k] = p; s.started[k] = Date() } else { s.processes.append(p); s.started.append(Date()) }
        }
    }

    /// "exited with status N" or "was killed by signal N".
    private static func ending(_ p: Process) -> String {
        p.terminationReason == .uncaughtSignal ? "was killed by signal \(p.terminationStatus)" : "exited with status \(p.terminationStatus)"
    }

    /// Server `k` ended (`ending`): started again once supervised and not stopping, after a delay
    /// that doubles from 0.5 s to 5 s while it keeps exiting soon after its start.
    private func restart(_ k: Int, ending: String) {
        let decision = state.withLock { s -> (logger: Logger, delay: Double, quickExits: Int)? in
            guard let logger = s.logger, !s.stopping, k < s.processes.count, !s.processes[k].isRunning,
                  s.restarting.insert(k).inserted else { return nil }
            s.quickExits[k] = Date().timeIntervalSince(s.started[k]) < Self.quickExit ? s.quickExits[k] + 1 : 0
            return (logger, min(0.5 * Double(1 << min(max(0, s.quickExits[k] - 1), 4)), 5), s.quickExits[k])
        }
        guard let (logger, delay, quickExits) = decision else { return }
        if quickExits > Self.quickExitLimit {
            logger.error("env server \(k) (\(endpoints[k])) \(ending), \(quickExits) times in a row within \(Int(Self.quickExit)) s of its start; starting it again in \(delay) s, but see \(logFiles[k].path)")
        } else {
            logger.warning("env server \(k) (\(endpoints[k])) \(ending); starting it again in \(delay) s (its log: \(logFiles[k].path))")
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            do { try self.launch(k) } catch {
                logger.error("env server \(k) (\(self.endpoints[k])) could not be started again: \(error)")
            }
        }
    }

    /// `.venv/bin/yendor-env` near the working directory or the `yendor` binary.
    static func locate() throws -> URL {
        if let url = RepositoryFile.find(".venv/bin/yendor-env", accept: FileManager.default.isExecutableFile) { return url }
        throw RemoteEnvironmentError.serverUnavailable(endpoint: "yendor-env",
            reason: "`yendor-env` not found in .venv/bin (run `make deps`, or `pip install ./python` and start `yendor-env serve` yourself, then `yendor worker --env-server …`)")
    }
}
