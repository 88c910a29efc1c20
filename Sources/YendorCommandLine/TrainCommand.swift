import ArgumentParser
import Foundation
import NetHack
import ServiceLifecycle
import YendorRuntime
import YendorSupport
import ZeroMQ

/// `yendor train`: the quick start. Every role in this process (in-process transport), or with
/// `--workers N`, the learner here and N worker processes on this machine over ipc.
struct TrainCommand: AsyncParsableCommand, RoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train with every role on this machine (the quick start).",
        discussion: "Example: yendor train --task staircase --steps 2000000")

    @OptionGroup var options: RunOptions

    @Option(help: "Run this many worker processes over ipc instead of an in-process worker.")
    var workers: Int = 0

    @Option(name: .customLong("env-servers"), help: "With --env gym:ENV_ID: local env-server processes to start, each hosting --envs envs (default 16) in two slices stepped by different rollout actors; with --workers N, at least N (each worker process steps servers of its own; default: 1, or N).")
    var envServerCount: Int?

    @Option(name: .customLong("serve-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("With --env gym:ENV_ID: an argument for every env server it starts (repeatable), as `yendor-env serve` takes it, e.g. --serve-arg=--caption=mission, --serve-arg=--import=my_envs, --serve-arg=--env-arg=size=8. Saved with the run (env.server_arguments): a resume without --serve-arg, and evaluate, give its servers the same.", valueName: "arg"))
    var serveArguments: [String] = []

    @Option(name: .customLong("parent-pid"), help: .hidden)
    var parentPID: Int32?

    /// Env servers to start for `gym:` envs: as asked, else one per worker process (at least one).
    var envServersToStart: Int { envServerCount ?? max(workers, 1) }

    /// Worker processes `--workers` may start, on this machine only: a thousand on two cores is a
    /// typo, not a run.
    static var mostWorkerProcesses: Int { max(8, 4 * ProcessInfo.processInfo.activeProcessorCount) }

    func validate() throws {
        guard workers >= 0 else { throw ValidationError("--workers must be 0 (in-process) or more, got \(workers)") }
        let most = Self.mostWorkerProcesses
        guard workers <= most else {
            throw ValidationError("--workers \(workers): at most \(most) worker processes on this machine (4 per core); to scale further, start `yendor worker` processes on other nodes (docs/running.md)")
        }
        if let n = envServerCount, n < 1 { throw ValidationError("--env-servers must be at least 1, got \(n)") }
        for (flag, given) in [("--env-servers", envServerCount != nil), ("--serve-arg", !serveArguments.isEmpty)] where given {
            guard case .gym = options.env else {
                throw ValidationError("\(flag) is for --env gym:ENV_ID (train starts env servers only for Gymnasium envs)")
            }
        }
        // What train itself gives each server: one of these twice would leave argparse to pick.
        let owned = ["--env", "--num-envs", "--bind", "--seed", "--parent-pid"]
        if let clash = serveArguments.first(where: { a in owned.contains { a == $0 || a.hasPrefix($0 + "=") } }) {
            throw ValidationError("--serve-arg \(clash): train sets \(owned.joined(separator: ", ")) itself (use --env gym:ENV_ID, --envs, --seed)")
        }
        if case .gym = options.env, workers > envServersToStart {
            throw ValidationError("--env-servers \(envServersToStart) is fewer than --workers \(workers): each worker process steps env servers of its own")
        }
    }

    func run() async throws {
        try await reportingErrors {
            // `bench train`'s runs: a benchmark killed leaves no training behind.
            let watch = parentPID.map { ShutdownSignals.stopWhenGone(parent: $0, starter: "the yendor that started this training", logger: self.options.makeLogger(label: "yendor")) }
            defer { watch?.cancel() }
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            var options = self.options
            var servers: EnvServerProcesses?, serverArguments = self.serveArguments, runDirectoryMade: RunDirectory?
            // An unnamed run's new directory, made as soon as its name is known.
            var claimed: String?
            defer {
                servers?.stop()
                // Once every socket file is gone, so is the directory that held them (rmdir leaves one that is not empty).
                if let runDirectoryMade { _ = rmdir(runDirectoryMade.sockets.path) }
                // A run refused before it started leaves no directory behind.
                if runDirectoryMade == nil, let claimed { RunDirectory.removeUnstarted(claimed) }
            }
            func claim(_ name: String) throws -> String {
                if let claimed { return claimed }
                // One level under runs/, where `evaluate` looks: a namespaced gym id (ALE/Pong-v5) is not a path.
                let path = try RunDirectory.claimNew("runs/\(name.replacingOccurrences(of: "/", with: "_"))-\(stamp)")
                claimed = path
                return path
            }
            // --run-dir, else the config file's or --set's run.dir; else a new one named after the task.
            let namedRunDir = try options.runDir ?? options.configuredRunDir()
            if case .gym(let envID) = options.env {
                // Gymnasium envs: start the env servers first; the learner needs their spec.
                let runDir = try namedRunDir ?? claim(envID)
                options.runDir = runDir
                let count = envServersToStart
                // A resumed run's servers get the arguments its first start gave them, unless others are given.
                if serverArguments.isEmpty, let saved = try options.savedConfiguration(defaultRunDir: runDir) {
                    serverArguments = saved.base.env.serverArguments.list
                }
                do {
                    servers = try EnvServerProcesses(envID: envID, count: count, envs: options.envs ?? 16, seed: options.seed ?? 1,
                                                     extraArguments: serverArguments,
                                                     socketDirectory: RunDirectory.sockets(ofRunAt: URL(fileURLWithPath: runDir, isDirectory: true).standardizedFileURL).path,
                                                     logDirectory: URL(fileURLWithPath: runDir).appendingPathComponent("logs"), timeout: 120)
                } catch is CancellationError {
                    options.makeLogger(label: "yendor").info("stopped while starting its env servers (they are stopped)")
                    throw ExitCode.success
                }
                options.envServers = servers!.endpoints
                // At least two actors, so each server's two slices (env.server_splits) are stepped by different actors.
                options.overrides.insert("env.actors=\(max(count, 2))", at: 0)
                if options.task == nil { options.task = envID }
            }
            // A Swift environment's name is its task (and names the run directory, as a task does).
            if case .swift(let name) = options.env, options.task == nil { options.task = name }
            // A named run directory that holds an earlier run resumes it, settings included.
            let saved = try options.savedConfiguration(defaultRunDir: "runs/train-\(stamp)")
            var c = try options.resolve(defaultRunDir: "runs/train-\(stamp)", base: saved?.base)
            if servers != nil { c.env.serverArguments = CommandArguments(serverArguments) }
            if c.env.kind == .nle {
                // The games are hosted here (or by workers started here): a missing library is said
                // before a run directory is made, not after its first checkpoint.
                do { _ = try NetHackLibrary.locate(explicit: c.env.nleDirectory.isEmpty ? nil : c.env.nleDirectory) } catch {
                    if c.env.nleDirectory.isEmpty { throw error }
                    throw ConfigurationError(field: "env.nle_dir", problem: "\(error)")
                }
            }
            if c.env.kind == .swift {
                // Made once here: a `make` that throws or a spec other than the registered one is
                // said at once, not after each worker process has failed five times.
                do { _ = try c.environment.make(count: 1, seed: c.run.seed) } catch {
                    throw ConfigurationError(field: "env.task", problem: "\(error)")
                }
            }
            if namedRunDir == nil { c.run.directory = try claim(c.env.task) }
            // Worker processes reach the learner over ipc, in the run directory: written to config.yaml
            // (the workers read it, `status --run-dir` too) and compared with a resumed run's.
            if workers > 0 {
                let sockets = RunDirectory.sockets(ofRunAt: URL(fileURLWithPath: c.run.directory, isDirectory: true).standardizedFileURL).path
                c.transport.trajectories = "ipc://\(sockets)/trajectories"
                c.transport.weights = "ipc://\(sockets)/weights"
            }
            let (logger, runDirectory, lock) = try options.serverRoleStart(c, listening: workers > 0)
            runDirectoryMade = runDirectory
            defer { withExtendedLifetime(lock) {} }
            if let saved { logger.notice("\(saved.summary(resolved: c))") }
            if !runDirectory.sockets.path.hasPrefix(runDirectory.root.path + "/") {
                logger.info("sockets in \(runDirectory.sockets.path): their paths in the run directory would be longer than a Unix socket holds")
            }
            servers?.superviseRestarts(logger: logger)
            let context = try Context()
            defer { context.terminate() }
            if workers > 0 {
                try await runWithWorkerProcesses(c, runDirectory: runDirectory, context: context, logger: logger)
            } else {
                let (group, _) = Topology.inProcess(configuration: c, runDirectory: runDirectory, context: context, logger: logger,
                                                   stop: ShutdownSignals.flag)
                try await ShutdownSignals.run(group)
            }
        }
    }

    private func runWithWorkerProcesses(_ c: TrainingConfiguration, runDirectory: RunDirectory, context: Context,
                                        logger: Logging.Logger) async throws {
        try runDirectory.makeSockets()
        defer { for endpoint in [c.transport.trajectories, c.transport.weights] { TransportConfiguration.removeSocketFile(of: endpoint) } }
        let configFile = runDirectory.resolvedConfiguration.path
        // Each worker logs to the run directory (logs/worker-I.log), so the parent's output stays the learner's.
        // An env server's envs are stepped by one worker process: two would take them from each other
        // at every open. Worker i steps servers i, i + N, i + 2N, ...
        let servers = c.env.kind == .server ? c.env.serverEndpoints : []
        if !servers.isEmpty && servers.count < workers {
            throw ConfigurationError(field: "env.servers", problem: "\(servers.count) env server(s) for \(workers) worker processes: each worker process steps env servers of its own")
        }
        // Worker processes don't serve the learner's Prometheus port (the port would be taken; the
        // learner's /metrics has the run's figures, membership included).
        let children = (0..<workers).map { i in
            var arguments = ["worker", "--config", configFile, "--id", "worker-\(i)", "--log-level", options.logLevel.rawValue,
                             "--parent-pid", "\(getpid())", "--set", "run.prometheus_port=0"]
            if !servers.isEmpty {
                let own = stride(from: i, to: servers.count, by: workers).map { servers[$0] }
                arguments += own.flatMap { ["--env-server", $0] }
                arguments += ["--set", "env.actors=\(min(c.env.actors, own.count * c.env.serverSplits))"]
            }
            return ProcessSupervisor.Child(name: "worker process worker-\(i)", arguments: arguments,
                                           log: runDirectory.logs.appendingPathComponent("worker-\(i).log"))
        }
        let departures = try await WorkerDepartureNotice(transport: c.transport, context: context)
        let (group, learner) = Topology.learner(configuration: c, runDirectory: runDirectory, context: context, logger: logger,
                                                  stop: ShutdownSignals.flag) { learner in
            [WorkerProcesses(children: children, firstRestartDelay: c.transport.heartbeatInterval, gracePeriod: c.transport.leaveTimeout + 5,
                             runIsOver: { learner.hasFinished }, departures: departures, logger: logger)]
        }
        do {
            try await ShutdownSignals.run(group)
        } catch let error as ServiceGroupError where error.errorCode == .serviceFinishedUnexpectedly && learner.hasFinished {
            // The learner reached its budget on the last trajectories of workers that were stopping.
        }
        // Nothing restarts now (the workers have stopped).
        await departures.close()
    }
}

import Logging
