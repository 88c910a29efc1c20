import Foundation
import Testing
import YendorTestSupport

/// Every cluster suite runs one test at a time: each starts several processes, and the machine
/// (and CI) may have only two cores.
@Suite(.serialized) enum ClusterSuite {}

/// Shared pieces of the cluster tests: the repository's paths, a scratch run directory,
/// and running a script or `yendor` to completion.
enum ClusterFixtures {
    /// The repository root (this file is Tests/ClusterTests/ClusterFixtures.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A fresh scratch directory holding the shared tiny configuration as `tiny.yaml`.
    static func scratch(_ name: String) throws -> (dir: URL, config: String) {
        try TinyRun.scratch(name, checkpointInterval: 5)
    }

    /// Starts a learner on the scratch run `dir` with its configuration, trajectories on a free
    /// port, weights (where its heartbeats go out) on the returned one, then `extra` arguments.
    static func learner(_ dir: URL, config: String, extra: [String] = []) throws -> (process: ChildProcess, weights: Int) {
        let weights = ChildProcess.freePort()
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path,
                                                "--set", "transport.trajectories=tcp://127.0.0.1:\(ChildProcess.freePort())",
                                                "--set", "transport.weights=tcp://127.0.0.1:\(weights)"] + extra)
        return (learner, weights)
    }

    /// Runs `yendor` with arguments to completion (killed after `timeout` seconds).
    static func yendor(_ arguments: [String], timeout: Double = 60) async throws -> (status: Int32?, output: String, errors: String) {
        let p = try ChildProcess(yendor: arguments)
        defer { p.kill() }
        let status = await p.waitForExit(timeout: timeout)
        return (status, p.lines.joined(separator: "\n"), p.standardError)
    }

    /// Runs a script under `bash` with the test's `yendor` binary in $YENDOR.
    static func script(_ path: String, _ arguments: [String] = [], environment: [String: String] = [:], timeout: Double)
        async throws -> (status: Int32?, output: String)
    {
        var env = environment
        env["YENDOR"] = ChildProcess.yendorBinary.path
        let p = try ChildProcess(executable: URL(fileURLWithPath: "/bin/bash"),
                                 arguments: [repository.appendingPathComponent(path).path] + arguments, environment: env)
        defer { p.kill() }
        let status = await p.waitForExit(timeout: timeout)
        return (status, p.lines.joined(separator: "\n") + "\n" + p.standardError)
    }
}
