import Foundation
import Testing
import YendorTestSupport

/// Every cluster suite runs one test at a time: each starts several processes, and the machine
/// (and CI) may have only two cores.
@Suite(.serialized) enum ClusterSuite {}

/// Shared pieces of the cluster tests: the repository's paths, a tiny training configuration,
/// and running a script or `yendor` to completion.
enum ClusterFixtures {
    /// The repository root (this file is Tests/ClusterTests/ClusterFixtures.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A small network and short rollouts, so debug builds train visibly in seconds.
    static let tinyConfiguration = """
        env:
          task: staircase
          envs: 4
          actors: 1
          rollout_length: 16
        learner:
          batch_size: 64
          minibatch_size: 64
        model:
          core_width: 16
          core_layers: 1
          conv_channels: 4
          glyph_embedding: 4
          glyph_features: 16
          blstats_features: 8
          caption_buckets: 64
          caption_features: 8
        run:
          log_interval: 0.5
          checkpoint_interval: 5
        transport:
          heartbeat_interval: 0.2
        """

    /// A fresh scratch directory holding `tiny.yaml`.
    static func scratch(_ name: String) throws -> (dir: URL, config: String) {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("yendor-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("tiny.yaml").path
        try tinyConfiguration.write(toFile: config, atomically: true, encoding: .utf8)
        return (dir, config)
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
