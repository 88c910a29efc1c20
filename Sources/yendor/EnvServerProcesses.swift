import Foundation
import RemoteEnvironment
import YendorSupport

/// `yendor train --env gym:ENV_ID`: K local `yendor-env serve` processes, started before the roles,
/// each answering on an ipc socket in the run directory, and stopped with the run.
final class EnvServerProcesses {
    private(set) var processes: [Process] = []
    let endpoints: [String]

    /// Starts `count` servers of `envID`, `envs` envs each, and waits until each answers its handshake.
    init(envID: String, count: Int, envs: Int, seed: UInt64, socketDirectory: String, logDirectory: URL, timeout: Double) throws {
        let executable = try Self.locate()
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        endpoints = (0..<count).map { "ipc://\(socketDirectory)/env-server-\($0)" }
        for (k, endpoint) in endpoints.enumerated() {
            let p = Process()
            p.executableURL = executable
            // --parent-pid: a server whose `yendor` is killed (not stopped) stops by itself.
            p.arguments = ["serve", "--env", envID, "--num-envs", "\(envs)", "--bind", endpoint, "--seed", "\(seed &+ UInt64(k * envs))",
                           "--parent-pid", "\(getpid())"]
            let log = logDirectory.appendingPathComponent("env-server-\(k).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            p.standardOutput = handle
            p.standardError = handle
            try p.run()
            processes.append(p)
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
                    let process = processes[k], exited = !process.isRunning
                    guard exited || Date() >= deadline else { continue }
                    stop()
                    let why = exited ? "it exited with status \(process.terminationStatus) before answering" : "no answer within \(Int(timeout)) s"
                    let log = (try? String(contentsOf: logDirectory.appendingPathComponent("env-server-\(k).log"), encoding: .utf8)) ?? ""
                    throw RemoteEnvironmentError.serverUnavailable(endpoint: endpoint, reason: "\(why); its log: \(log.suffix(1500))")
                } catch {
                    stop()
                    throw error
                }
            }
        }
    }

    deinit { stop() }

    /// Stops every server (SIGTERM, then SIGKILL after 5 s).
    func stop() {
        for p in processes where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(5)
        for p in processes {
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        processes.removeAll()
    }

    /// `.venv/bin/yendor-env` near the working directory or the `yendor` binary.
    static func locate() throws -> URL {
        if let url = RepositoryFile.find(".venv/bin/yendor-env", accept: FileManager.default.isExecutableFile) { return url }
        throw RemoteEnvironmentError.serverUnavailable(endpoint: "yendor-env",
            reason: "`yendor-env` not found in .venv/bin (run `make deps`, or `pip install ./python` and start `yendor-env serve` yourself, then `yendor worker --env-server …`)")
    }
}
