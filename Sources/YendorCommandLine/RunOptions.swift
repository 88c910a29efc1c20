import ArgumentParser
import Foundation
import Logging
import RemoteEnvironment
import YendorEnvironment
import YendorRewards
import YendorRuntime
import ZeroMQ

/// Options shared by `train`, `learner` and `worker`. Precedence: defaults < `--config` file <
/// `--set key=value` < dedicated flags. Every field can be set with `--set`; `yendor config` lists them.
struct RunOptions: ParsableArguments {
    @Option(help: .configFile)
    var config: String?

    @Option(name: .customLong("set"), help: .setField)
    var overrides: [String] = []

    @Option(help: "Environment: dungeon (built in, the default), nle (real NetHack, from `make deps`), gym:ENV_ID (Gymnasium envs: train starts local env servers; learner and worker take --env-server), or swift:NAME (an environment registered in Swift by the program running Yendor, docs/environments.md).")
    var env: EnvironmentChoice?

    @Option(name: .customLong("env-server"), help: ArgumentHelp("An environment server to step (repeatable): tcp://HOST:PORT of `yendor-env serve`.", valueName: "endpoint"))
    var envServers: [String] = []

    @Option(help: "Task of the environment, e.g. score, staircase, staircase-lvl3, oracle (Dungeon also keyroom).")
    var task: String?

    @Option(help: "Env steps to train for.")
    var steps: UInt64?

    @Option(name: .customLong("run-dir"), help: "Run directory (config, checkpoints, logs, metrics); reusing one resumes.")
    var runDir: String?

    @Option(help: "Intrinsic reward model (ONI's retrieval, classification or ranking; none: extrinsic only).")
    var reward: RewardModelKind?

    @Option(help: "Run seed.")
    var seed: UInt64?

    @Option(help: "Environments per rollout actor (env.envs, default 32); with `train --env gym:ENV_ID`, per env server (default 16).")
    var envs: Int?

    @Option(help: "Rollout actors per worker process.")
    var actors: Int?

    @Option(name: .customLong("log-level"), help: .logLevel)
    var logLevel: Logger.Level = .info

    @Flag(name: .customLong("curve-allow-any"), help: "CURVE without an allow-list: admit any client that has the server's public key (servers refuse to start otherwise; same as --set transport.curve_allow_any=true).")
    var curveAllowAny = false

    /// The resolved configuration, validated; errors name the field. `base` (an earlier run's saved
    /// configuration, `savedConfiguration`) takes the place of the defaults.
    func resolve(defaultRunDir: String, base: TrainingConfiguration? = nil, waitingForEnvServers: Bool = false) throws -> TrainingConfiguration {
        var c = base ?? TrainingConfiguration()
        if base == nil { c.run.directory = defaultRunDir }
        let table = TrainingConfiguration.table
        if let config { try table.apply(yamlFile: config, to: &c) }
        try table.apply(overrides: overrides, to: &c)
        // gym:ENV_ID's servers arrive as --env-server endpoints: `yendor train` starts them; for a
        // worker or learner they are the user's, so there must be some.
        if case .gym(let id) = env, envServers.isEmpty {
            throw ValidationError("--env gym:\(id): only `yendor train` starts env servers; start `yendor-env serve --env \(id)` and pass its endpoint with --env-server")
        }
        if let env, env.kind != .server { c.env.kind = env.kind }
        if case .swift(let name) = env {
            if let task, task != name { throw ValidationError("--env swift:\(name) names the task; --task \(task) names another") }
            c.env.task = name
        }
        if !envServers.isEmpty {
            c.env.kind = .server
            c.env.servers = envServers.joined(separator: ",")
        }
        if c.env.kind == .server && c.env.serverSpec.isEmpty, let first = c.env.serverEndpoints.first {
            // The learner builds its network from the spec, so it asks a server before anything starts
            // (a learner or worker waits for one not up yet: a cluster starts them together).
            let probe = waitingForEnvServers ? try Self.waitForSpec(of: first, timeout: c.env.serverTimeout, logger: makeLogger(label: "yendor"))
                : try RemoteVectorEnv.probe(endpoint: first, timeout: c.env.serverTimeout)
            c.env.serverSpec = probe.spec.fingerprint
            if task == nil { c.env.task = probe.task }
        }
        if let task { c.env.task = task }
        if let steps { c.run.totalSteps = steps }
        if let runDir { c.run.directory = runDir }
        if let seed { c.run.seed = seed }
        if let reward { c.reward.models.model = reward }
        if let envs { c.env.envsPerActor = envs }
        if let actors { c.env.actors = actors }
        if curveAllowAny { c.transport.curveAllowAny = true }
        if base != nil && c.env.kind == .server && c.env.serverEndpoints.isEmpty {
            throw ConfigurationError(field: "env.servers", problem: "the run in \(c.run.directory) stepped env servers (task \(c.env.task)); resume it with them: `yendor train --env gym:\(c.env.task)`, or `--env-server URL`")
        }
        try c.validate()
        return c
    }

    /// The configuration an earlier run saved in the run directory this command names (else
    /// `defaultRunDir`), if there is one: a role that owns the directory (train, learner) resumes
    /// that run, so its settings, not the defaults, are what this command's --config, --set and
    /// flags change. Without it, a resume with fewer flags than the start silently trained another
    /// task, budget or learning rate.
    /// `requiringCheckpoint` false: the file's, whether or not the run has a `latest` checkpoint
    /// (`evaluate --checkpoint` names one itself). `keepingEnvServers`: the env servers the run
    /// stepped and their spec stay (`yendor config` shows them; a role starting gets its own).
    func savedConfiguration(defaultRunDir: String, requiringCheckpoint: Bool = true, keepingEnvServers: Bool = false) throws -> SavedConfiguration? {
        let directory = try runDir ?? configuredRunDir() ?? defaultRunDir
        // Only a run with a checkpoint is resumed: one that never got there starts afresh.
        let latest = URL(fileURLWithPath: directory).appendingPathComponent("checkpoints/latest").path
        guard !requiringCheckpoint || FileManager.default.fileExists(atPath: latest),
              var saved = try SavedConfiguration.load(runDirectory: directory) else { return nil }
        // Where a role binds and connects belongs to the command that wrote the file (`train
        // --workers N` writes ipc endpoints of its own), not to the run: this command's, or the defaults.
        let defaults = TrainingConfiguration()
        saved.base.transport.trajectories = defaults.transport.trajectories
        saved.base.transport.weights = defaults.transport.weights
        saved.base.transport.replay = defaults.transport.replay
        // A remote annotator's endpoints stay with its host (reward.annotator, which stays): together
        // they name one peer (trial N: the saved host with the default port asked another annotator).
        if saved.base.reward.annotator.isEmpty {
            saved.base.transport.annotatorRequests = defaults.transport.annotatorRequests
            saved.base.transport.annotatorLabels = defaults.transport.annotatorLabels
        }
        if !keepingEnvServers {
            saved.base.env.servers = defaults.env.servers
            saved.base.env.serverSpec = defaults.env.serverSpec
        }
        return saved
    }

    /// The heading health and status put over these options in their help, and what it means: they
    /// take the role's flags but use only those that locate it.
    static let probeTitle = "Role options"
    static let probeDiscussion = "ROLE OPTIONS are the probed role's own, accepted so that a job script can pass the role's command line unchanged; only --config, --set (transport endpoints and keys) and --run-dir are used, to find it."

    /// Where health and status find the role they probe, and how they connect to it.
    struct ProbeTarget {
        /// The probed role's configuration (its run's, with --run-dir, then this command's flags).
        let configuration: TrainingConfiguration
        /// The PUB socket to subscribe to.
        let endpoint: String
        /// The CURVE client options for it, or none.
        let security: [SocketOption]
    }

    /// The role health and status look at: the learner's PUB (`transport.weights`), or with
    /// `annotator` the annotator's (`transport.annotator_labels`, on the `reward.annotator` host
    /// when one is set); `endpoint`, when given, instead. With --run-dir, the configuration that
    /// run saved comes first (so its endpoints and keys, e.g. `train --workers N`'s ipc ones, need
    /// no --endpoint), then what this command says; a one-process `yendor train` is asked at its
    /// run directory's status socket. They take a role's own arguments (job scripts pass the same
    /// ones) and use what names endpoints and keys.
    func probeTarget(annotator: Bool, endpoint: String?, defaultRunDir: String) throws -> ProbeTarget {
        func target(_ c: TrainingConfiguration) throws -> ProbeTarget {
            let configured = annotator ? c.transport.annotatorLabels : c.transport.weights
            let named = annotator && !c.reward.annotator.isEmpty ? TransportConfiguration.endpoint(configured, onHost: c.reward.annotator) : nil
            // An annotator is probed with `curve_annotator_key` where that is set (a learner's
            // configuration), else with `curve_server_key` (a probe's own flags, as job scripts give them).
            let annotatorKey = annotator && !c.transport.curveAnnotatorKey.isEmpty
            let security: [SocketOption]
            do { security = try c.transport.clientSecurity(annotator: annotatorKey) } catch let e as ConfigurationError where e.field.hasPrefix("transport.curve_") && e.field.hasSuffix("_key") {
                // A CURVE role's own configuration (--run-dir) holds its secret key, not a probe's.
                throw ConfigurationError(field: e.field, problem: "\(e.problem): the \(annotator ? "annotator" : "learner") uses CURVE, so the probe needs a key pair on its allow-list and its public key: --set transport.curve_secret_key_file=PROBE.key --set transport.curve_server_key=SERVER.pub (docs/cluster.md)")
            }
            return ProbeTarget(configuration: c, endpoint: endpoint ?? named ?? TransportConfiguration.connectAddress(configured, host: "127.0.0.1"),
                               security: security)
        }
        guard let runDir else { return try target(resolve(defaultRunDir: defaultRunDir)) }
        guard let saved = try SavedConfiguration.load(runDirectory: runDir) else {
            throw ConfigurationError(field: "run.dir", problem: "\(runDir) holds no config.yaml: not a run directory, or its role has not started")
        }
        let c = try resolve(defaultRunDir: defaultRunDir, base: saved.configuration)
        let directory = try RunDirectory(path: runDir)
        guard endpoint == nil, let holder = directory.holder else { return try target(c) }
        // A run whose process has stopped is down, said at once: its learner's endpoints would be
        // waited on for the whole timeout (or another run listening there would answer).
        if !directory.isHeld && (!annotator || !holder.listening) {
            throw RoleNotRunning(runDirectory: runDir, pid: holder.pid, inProcess: !holder.listening)
        }
        // A one-process run binds none of the configured sockets but its status socket.
        guard !holder.listening else { return try target(c) }
        guard annotator else {
            // Its learner answers on the status socket, a file in the run directory (no CURVE).
            return ProbeTarget(configuration: c, endpoint: directory.statusEndpoint, security: [])
        }
        guard !c.reward.annotator.isEmpty else {
            throw ConfigurationError(field: "run.dir", problem: "\(runDir) is a one-process `yendor train` (pid \(holder.pid)) whose labeler runs in its learner, with no socket of its own: `yendor status learner --run-dir \(runDir)` shows its labels")
        }
        return try target(c)
    }

    /// `probeTarget` as `yendor <command>` (health, status) reports it: a bad setting is a usage
    /// error; a run that has stopped is said on stderr, and the command exits 1 (the role is down).
    func probeTargetOrExit(command: String, annotator: Bool, endpoint: String?) throws -> ProbeTarget {
        do {
            return try probeTarget(annotator: annotator, endpoint: endpoint, defaultRunDir: "runs/\(command)")
        } catch let e as ConfigurationError {
            throw ValidationError(e.description)
        } catch let e as RoleNotRunning {
            FileHandle.standardError.write(Data("yendor \(command): \(e)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The run a probe was pointed at (--run-dir) has stopped.
    struct RoleNotRunning: Error, CustomStringConvertible {
        let runDirectory: String
        let pid: Int32
        /// A one-process `yendor train`.
        let inProcess: Bool
        var description: String { "the \(inProcess ? "one-process run" : "run") in \(runDirectory) is not running (pid \(pid) held it); its last figures are in \(runDirectory)/metrics.jsonl" }
    }

    /// An earlier run's configuration, from its run directory's config.yaml.
    struct SavedConfiguration {
        let file: String
        /// As the file has it.
        let configuration: TrainingConfiguration
        /// What a command starts from: the file's, or (a resume) without where roles bind and connect.
        var base: TrainingConfiguration

        /// The configuration saved in the run directory at `path`; nil if it holds none.
        static func load(runDirectory path: String) throws -> SavedConfiguration? {
            let file = RunDirectory.resolvedConfiguration(in: path).path
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            var saved = TrainingConfiguration()
            do {
                try TrainingConfiguration.table.apply(yamlFile: file, to: &saved)
            } catch let e as ConfigurationError {
                throw ConfigurationError(field: e.field, problem: "\(e.problem) (in the configuration an earlier run saved; resume it with the Yendor that wrote it, or use a new run directory)", source: file)
            }
            return SavedConfiguration(file: file, configuration: saved, base: saved)
        }

        /// The line a resuming role logs: where the settings come from and what this command changed.
        func summary(resolved c: TrainingConfiguration) -> String {
            let table = TrainingConfiguration.table
            let changes = table.fields.compactMap { f -> String? in
                let before = table.value(f.key, in: configuration), after = table.value(f.key, in: c)
                return before == after ? nil : "\(f.key) \(before ?? "-") -> \(after ?? "-")"
            }
            return "resuming with the configuration saved in \(file)"
                + (changes.isEmpty ? "" : "; changed by this command: \(changes.joined(separator: ", "))")
        }
    }

    func makeLogger(label: String) -> Logger { LoggingBootstrap.logger(label: label, level: logLevel) }

    /// What a role that owns a run directory does before it starts: checks its CURVE keys (a clear
    /// message and exit 64, not a half-started role) and takes the directory for this process (the
    /// lock lives as long as the returned value; `listening` false for a one-process run, which binds only its status socket).
    /// A learner's (train, learner) also refuses a checkpoint of another model, and only then writes
    /// the resolved config.yaml.
    func serverRoleStart(_ c: TrainingConfiguration, learner: Bool = true, listening: Bool = true) throws -> (logger: Logger, runDirectory: RunDirectory, lock: RunLock) {
        // A one-process run binds no socket that takes clients: its CURVE keys only reach an annotator.
        if listening { try c.transport.checkServerCurve() }
        try PrometheusEndpoint.checkAvailable(port: c.run.prometheusPort, host: c.run.prometheusHost)
        // Refused before the run directory is made (trial N: an unset API key variable left one behind).
        if learner { try c.checkInProcessLabeler() }
        let runDirectory = try RunDirectory(path: c.run.directory)
        let lock = try runDirectory.lock(listening: listening)
        if learner {
            try runDirectory.checkResumable(by: c)
            do {
                try TrainingConfiguration.table.yaml(c).write(to: runDirectory.resolvedConfiguration, atomically: true, encoding: .utf8)
            } catch {
                throw RunDirectory.Unwritable(runDirectory.resolvedConfiguration.path, error)
            }
        } else {
            // The replay role writes only at its stop: a disk that cannot take its buffer then is said now.
            try runDirectory.checkWritable()
        }
        let logger = makeLogger(label: "yendor")
        logger.info("\(Yendor.version)")
        if learner {
            // The env first: a task name alone (staircase-lvl3) is Dungeon's and NetHack's (trial N
            // trained Dungeon for a forgotten --env nle, and the log said only "task staircase-lvl3").
            logger.info("run directory \(runDirectory.root.path); env \(c.env.kind.rawValue); task \(c.env.task); budget \(c.run.totalSteps) env steps")
        }
        return (logger, runDirectory, lock)
    }

    /// The spec of the env server at `endpoint`, asked until it answers
    /// (`RemoteVectorEnv.untilAnswered`). SIGINT/SIGTERM end the wait and the command (exit 0:
    /// nothing has started yet).
    static func waitForSpec(of endpoint: String, timeout: Double, logger: Logger) throws -> (spec: ObservationSpec, task: String, envs: Int) {
        let stop = ShutdownSignals.flag
        do {
            return try RemoteVectorEnv.untilAnswered(endpoint, stop: stop, logger: logger) {
                try RemoteVectorEnv.probe(endpoint: endpoint, timeout: timeout, stop: stop)
            }
        } catch is CancellationError {
            logger.info("stopped while waiting for env server \(endpoint)")
            throw ExitCode.success
        }
    }

    /// The run directory the config file and `--set run.dir` name, if they name one.
    func configuredRunDir() throws -> String? {
        let unset = TrainingConfiguration().run.directory
        var c = TrainingConfiguration()
        if let config { try TrainingConfiguration.table.apply(yamlFile: config, to: &c) }
        try TrainingConfiguration.table.apply(overrides: overrides, to: &c)
        return c.run.directory == unset ? nil : c.run.directory
    }
}

/// swift-log's bootstrap may run once per process.
enum LoggingBootstrap {
    static let once: Void = { LoggingSystem.bootstrap { LiveLineLogHandler(inner: StreamLogHandler.standardError(label: $0)) } }()

    /// A logger at a `--log-level` option's level, after bootstrapping swift-log.
    static func logger(label: String, level: Logger.Level) -> Logger {
        once
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// `--log-level` takes swift-log's level names; argument-parser lists them in the help and refuses others.
extension Logger.Level: @retroactive ExpressibleByArgument {}
extension RewardModelKind: ExpressibleByArgument {}

extension ArgumentHelp {
    /// The help of every command's `--log-level`.
    static let logLevel = ArgumentHelp("The least severe level logged to stderr.")
    /// The help of every command's `--config`.
    static let configFile = ArgumentHelp("YAML configuration file (keys as listed by `yendor config`).")
    /// The help of every command's `--set`.
    static let setField = ArgumentHelp("Set any field: --set learner.learning_rate=0.001 (repeatable).", valueName: "key=value")
}

/// Turns configuration and refusal errors into a clear message and exit code instead of a trace.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as ConfigurationError {
        // A setting's error names the setting: the command's usage after it only hides it.
        FileHandle.standardError.write(Data("Error: \(e.description)\n".utf8))
        throw ExitCode.validationFailure
    } catch let e as RunDirectory.Unwritable {
        // The machine's, not a setting's (a full or read-only disk, no descriptors left).
        FileHandle.standardError.write(Data("Error: \(e)\n".utf8))
        throw ExitCode.failure
    } catch let e as WorkerService.Refused {
        // 75 is EX_TEMPFAIL (sysexits.h): a supervisor may start it again; 3 says not to, as is.
        FileHandle.standardError.write(Data("yendor: \(e)\(e.passes ? " (exit status 75: try again)" : "")\n".utf8))
        throw ExitCode(e.passes ? 75 : 3)
    }
}
