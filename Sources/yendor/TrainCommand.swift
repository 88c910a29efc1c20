import ArgumentParser
import Foundation
import YendorRuntime
import ZeroMQ

/// `yendor train`: the quick start. Every role in this process (in-process transport), or with
/// `--workers N`, the learner here and N worker processes on this machine over ipc.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train with every role on this machine (the quick start).",
        discussion: "Example: yendor train --task staircase --steps 2000000")

    @OptionGroup var options: RunOptions

    @Option(help: "Run this many worker processes over ipc instead of an in-process worker.")
    var workers: Int = 0

    func run() async throws {
        try await reportingErrors {
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            var c = try options.resolve(defaultRunDir: "runs/train-\(stamp)")
            if options.task != nil && options.runDir == nil { c.runDirectory = "runs/\(c.task)-\(stamp)" }
            let logger = try options.makeLogger(label: "yendor")
            let runDirectory = try RunDirectory(path: c.runDirectory)
            try TrainingConfiguration.table.yaml(c).write(to: runDirectory.resolvedConfiguration, atomically: true, encoding: .utf8)
            logger.info("run directory \(runDirectory.root.path); task \(c.task); budget \(c.totalSteps) env steps")
            let context = try Context()
            defer { context.terminate() }
            if workers > 0 {
                try await runWithWorkerProcesses(c, runDirectory: runDirectory, context: context, logger: logger)
            } else {
                let (group, _) = Topology.inProcess(configuration: c, runDirectory: runDirectory, context: context, logger: logger)
                try await group.run()
            }
        }
    }

    private func runWithWorkerProcesses(_ base: TrainingConfiguration, runDirectory: RunDirectory, context: Context,
                                        logger: Logging.Logger) async throws {
        var c = base
        let sockets = runDirectory.root.appendingPathComponent("sockets").path
        try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
        c.transport.trajectories = "ipc://\(sockets)/trajectories"
        c.transport.weights = "ipc://\(sockets)/weights"
        let (group, _) = Topology.learner(configuration: c, runDirectory: runDirectory, context: context, logger: logger)
        let configFile = runDirectory.resolvedConfiguration.path
        try TrainingConfiguration.table.yaml(c).write(toFile: configFile, atomically: true, encoding: .utf8)
        var children: [Process] = []
        for i in 0..<workers {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            p.arguments = ["worker", "--config", configFile, "--id", "worker-\(i)", "--log-level", options.logLevel]
            try p.run()
            children.append(p)
        }
        defer {
            for p in children where p.isRunning { p.terminate() }
            for p in children { p.waitUntilExit() }
        }
        try await group.run()
    }
}

import Logging
