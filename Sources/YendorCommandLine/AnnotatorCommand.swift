import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import YendorAnnotator
import YendorAnnotatorRole
import YendorRuntime
import ZeroMQ

/// `yendor annotator`: the annotator role, `serve` (the default), `evaluate`, and `export` and
/// `import` of a label store's rows. A group: options declared on a parent command would also
/// capture the same names given after a subcommand.
struct AnnotatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotator",
        abstract: "Run the annotator (serve, the default), evaluate a labeler, or export and import a label store's labels.",
        subcommands: [AnnotatorServeCommand.self, AnnotatorEvaluateCommand.self, AnnotatorExportCommand.self, AnnotatorImportCommand.self],
        defaultSubcommand: AnnotatorServeCommand.self)
}

/// `yendor annotator [serve]`: the annotator role (ROUTER for requests, PUB for labels) with a label store.
struct AnnotatorServeCommand: AsyncParsableCommand, RoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the annotator: labels captions with an LLM (or the built-in lexicon), stores and publishes them.",
        discussion: """
            Examples:
              yendor annotator                                   (lexicon backend, a stand-in for an LLM)
              yendor annotator --backend openai --llm-url http://127.0.0.1:8000/v1 --model llama-3-8b
              yendor annotator --backend simulated --latency-ms 500 --failure-rate 0.05 --noise 0.1
              yendor annotator evaluate                          (precision and recall on hand-labeled NetHack messages)
            Prints "annotator ready" on stdout once both sockets are bound, then a status line periodically.
            """)

    @OptionGroup var labeler: LabelerOptions

    @OptionGroup var labelStore: LabelStoreOption

    @Option(name: .customLong("curve-secret-key-file"), help: "CURVE: this annotator's secret key file (yendor keys generate); turns encryption on.")
    var curveSecretKeyFile: String?

    @Option(name: .customLong("curve-allowed-clients"), help: "CURVE: directory of .pub files of the clients allowed in (required with CURVE unless --curve-allow-any).")
    var curveAllowedClients: String?

    @Flag(name: .customLong("curve-allow-any"), help: "CURVE without an allow-list: admit any client that has the annotator's public key (it refuses to start otherwise).")
    var curveAllowAny = false

    @Option(help: "ROUTER endpoint for requests.")
    var requests: String = "tcp://0.0.0.0:5557"

    @Option(help: "PUB endpoint for labels, heartbeats and stats.")
    var labels: String = "tcp://0.0.0.0:5558"

    @Option(name: .customLong("queue-capacity"), help: "Pending requests kept; when full the oldest are dropped.")
    var queueCapacity: Int = 10_000

    @Option(name: .customLong("batch-size"), help: "Items per labeler call.")
    var batchSize: Int = 16

    @Option(name: .customLong("max-concurrent-batches"), help: "Labeler calls in flight at once.")
    var maxConcurrentBatches: Int = 4

    @Option(name: .customLong("max-answer-attempts"), help: "Answers without a label before an item is stored as unlabelable (transient failures never count).")
    var maxAnswerAttempts: Int = 3

    @Option(name: .customLong("retry-delay-s"), help: "Delay before an item that failed is asked again, seconds; doubles per failure, up to 300 s.")
    var retryDelay: Double = 5

    @Option(name: .customLong("shutdown-grace-s"), help: "On SIGTERM/SIGINT: time labeler calls in flight may still deliver their answers before they are cancelled, seconds.")
    var shutdownGrace: Double = 3

    @Option(name: .customLong("client-timeout-s"), help: "A client that sent heartbeats (a learner) and then nothing for this long has gone without a Goodbye (killed): the queued requests only it asked for are withdrawn, seconds.")
    var clientTimeout: Double = 30

    @Option(help: "Peer id in Hello, Heartbeat, Stats and Goodbye messages.")
    var id: String = "annotator"

    @Option(name: .customLong("status-interval-s"), help: "Seconds between status lines on stdout (0: none).")
    var statusInterval: Double = 10

    @Option(name: .customLong("prometheus-port"), help: "Serve Prometheus metrics on this port at /metrics (0: off).")
    var prometheusPort: Int = 0

    @Option(name: .customLong("prometheus-host"), help: "IPv4 address /metrics listens on (0.0.0.0: every interface; 127.0.0.1: this host only).")
    var prometheusHost: String = "0.0.0.0"

    @Option(name: .customLong("log-level"), help: .logLevel)
    var logLevel: Logger.Level = .info

    func run() async throws {
        var logger = LoggingBootstrap.logger(label: "yendor", level: logLevel)
        logger[metadataKey: "role"] = "annotator"
        logger.info("\(Yendor.version)")

        var c = AnnotatorServer.Configuration()
        c.requestsEndpoint = requests
        c.labelsEndpoint = labels
        c.storePath = labelStore.store
        c.backend = try labeler.makeBackend()
        c.annotator.queueCapacity = queueCapacity
        c.annotator.batchSize = batchSize
        c.annotator.maxConcurrentBatches = maxConcurrentBatches
        c.annotator.maxAnswerAttempts = maxAnswerAttempts
        guard retryDelay >= 0, retryDelay <= 300 else { throw ValidationError("--retry-delay-s must be in [0, 300], got \(retryDelay)") }
        c.annotator.retryBackoff.initial = Self.duration(retryDelay)
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace-s must be >= 0, got \(shutdownGrace)") }
        c.annotator.shutdownGrace = Self.duration(shutdownGrace)
        c.id = id
        guard clientTimeout > 0 else { throw ValidationError("--client-timeout-s must be > 0, got \(clientTimeout)") }
        c.clientTimeout = Self.duration(clientTimeout)
        c.statusInterval = statusInterval > 0 ? Self.duration(statusInterval) : nil

        let context = try Context()
        defer { context.terminate() }
        var authenticator: CurveAuthenticator?
        if let curveSecretKeyFile {
            guard curveAllowedClients != nil || curveAllowAny else {
                throw ValidationError("--curve-secret-key-file without --curve-allowed-clients: any client that has this annotator's public key could connect. "
                    + "Pass --curve-allowed-clients DIR (a directory of the clients' .pub files), or --curve-allow-any to accept any client with the public key")
            }
            if curveAllowedClients == nil {
                logger.warning("CURVE is on WITHOUT an allow-list (--curve-allow-any): any client that has this annotator's public key can connect and ask for labels. The public key is not a secret; pass --curve-allowed-clients DIR to admit only the keys in DIR/*.pub")
            }
            do {
                c.security = [.curveServer(secretKey: try CurveKeyPair.readKey(from: curveSecretKeyFile))]
                if let curveAllowedClients {
                    authenticator = try CurveAuthenticator(context: context, allowedPublicKeys: try CurveAuthenticator.publicKeys(inDirectory: curveAllowedClients),
                                                           onRefused: TransportConfiguration.logRefusals(logger, allowList: curveAllowedClients))
                }
            } catch {
                throw ValidationError("--curve-secret-key-file/--curve-allowed-clients: \(error)")
            }
        }
        // Said as the learner says it: with an allow-list, without one, or off look alike otherwise.
        logger.info("annotator CURVE: \(TransportConfiguration.curveMode(secretKeyFile: curveSecretKeyFile, allowList: curveAllowedClients, allowAny: "--curve-allow-any"))")
        defer { if let authenticator { Task { await authenticator.close() } } }
        // The endpoint comes first: it bootstraps the metrics backend the annotator's metrics are made in.
        var endpoint: PrometheusEndpoint?
        if prometheusPort != 0 {
            guard (1...65535).contains(prometheusPort) else { throw ValidationError("--prometheus-port must be in 1...65535 (0, the default, serves none), got \(prometheusPort)") }
            do {
                try PrometheusEndpoint.checkAvailable(port: prometheusPort, host: prometheusHost, setting: "--prometheus-port", hostSetting: "--prometheus-host")
            } catch let e as ConfigurationError { throw ValidationError("\(e.field) \(e.problem)") }
            endpoint = PrometheusEndpoint(port: prometheusPort, host: prometheusHost, setting: "--prometheus-port", logger: logger)
        }
        let server: AnnotatorServer
        do {
            server = try AnnotatorServer(configuration: c, context: context, logger: logger, onListening: {
                Self.say("annotator ready requests \(requests) labels \(labels)")
            }, onStatus: { Self.say($0) })
        } catch let AnnotatorError.invalidConfiguration(field, reason) {
            throw ValidationError("\(Self.flags[field] ?? field) \(reason)")
        } catch {
            // The machine's, not the command line's (a store on a full or read-only disk): said
            // without the usage, exit status 1 (it was 64 with the usage, trial Y).
            throw error
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)]
        if let endpoint {
            services.append(.init(service: endpoint, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, logger: logger)
        // The role stops within the grace plus a few seconds; this is only a backstop.
        groupConfiguration.maximumGracefulShutdownDuration = c.annotator.shutdownGrace + .seconds(30)
        do { try await ShutdownSignals.run(ServiceGroup(configuration: groupConfiguration)) } catch let e as ZMQError where [EADDRINUSE, EADDRNOTAVAIL, ENODEV].contains(e.code) {
            let (flag, endpoint) = e.operation == "bind(\(labels))" ? ("--labels", labels) : ("--requests", requests)
            throw ValidationError(e.code == EADDRINUSE
                ? "\(flag) \(endpoint) is in use by another process (another annotator, or another program): stop it, or give \(flag) another port"
                : e.code == ENODEV ? "\(flag) \(endpoint): a listening address is an IP address or an interface name (127.0.0.1, 0.0.0.0 for all), not a host name"
                : "\(flag) \(endpoint): this host has no such address; bind to one of its own, or 0.0.0.0 for all")
        }
        Self.say(await server.statusLine())
    }

    /// The flag that sets each field the server's and the annotator's validation name, for errors.
    static let flags = [
        "requestsEndpoint": "--requests", "labelsEndpoint": "--labels", "storePath": "--store", "id": "--id",
        "statusInterval": "--status-interval-s", "annotator.queueCapacity": "--queue-capacity",
        "annotator.batchSize": "--batch-size", "annotator.maxConcurrentBatches": "--max-concurrent-batches",
        "annotator.maxAnswerAttempts": "--max-answer-attempts", "annotator.retryBackoff": "--retry-delay-s",
        "annotator.shutdownGrace": "--shutdown-grace-s",
    ]

    private static func duration(_ seconds: Double) -> Duration { .seconds(clamping: seconds) }

    /// A line on stdout, flushed at once (stdout is a pipe under Slurm and in tests).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
