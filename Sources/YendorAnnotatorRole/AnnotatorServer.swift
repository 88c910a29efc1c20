import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import CoreMetrics
import YendorAnnotator
import YendorMetrics
import YendorSupport
import YendorVersion
import YendorWire
import ZeroMQ

/// The `yendor annotator` role: the `Annotator` core behind two ZeroMQ sockets.
///
/// - ROUTER (`requestsEndpoint`): any number of DEALER (or REQ) clients send `AnnotationRequest`s
///   and `Hello`s. Each request gets one direct `AnnotationResult` with the same request id:
///   stored labels at once, `.pending` for items queued (or already pending), `.error(.dropped)`
///   while shutting down, `.error(.invalidRequest)` for a request that cannot be served.
/// - PUB (`labelsEndpoint`): every new label as an `AnnotationResult` with request id 0, a
///   `Heartbeat` every `heartbeatInterval`, a `Stats` message with the counters, and a `Goodbye`
///   on shutdown.
///
/// Malformed frames are counted by kind and dropped. On graceful shutdown the role stops taking
/// requests, gives labeler calls in flight `annotator.shutdownGrace` to deliver their answers,
/// cancels the rest (every answer received is stored and published; nothing cancelled is), then
/// closes its sockets.
public final class AnnotatorServer: Service, Sendable {
    public struct Configuration: Sendable {
        /// Where the ROUTER binds for requests.
        public var requestsEndpoint = "tcp://0.0.0.0:5557"
        /// Where the PUB binds for label broadcasts, heartbeats and stats.
        public var labelsEndpoint = "tcp://0.0.0.0:5558"
        /// SQLite file of the label store (created if absent; shared across runs).
        public var storePath = "annotator-labels.sqlite"
        /// Which labeler answers: `lexicon` (default, a stand-in for an LLM), `openai`, `simulated`.
        public var backend: LabelerBackend = .lexicon
        /// The core's queue capacity, batch size, concurrency and retry limits.
        public var annotator = Annotator.Configuration()
        /// This peer's id in `Hello`, `Heartbeat`, `Stats` and `Goodbye`.
        public var id = "annotator"
        /// Time between heartbeats (and `Stats` messages) on PUB.
        public var heartbeatInterval: Duration = .seconds(1)
        /// A client that sent heartbeats (the learner's `AnnotatorClient` does) and then nothing
        /// for this long has gone without a Goodbye (killed, its machine lost): the queued requests
        /// only it asked for are withdrawn, as at a Goodbye, so the next run's are not kept behind
        /// them. A client that comes back asks again.
        public var clientTimeout: Duration = .seconds(30)
        /// Time between status lines handed to the status handler; nil for none.
        public var statusInterval: Duration? = .seconds(10)
        /// Items accepted in one request; larger requests are answered `invalidRequest`.
        public var maxItemsPerRequest = 4096
        /// Largest frame accepted, in bytes (libzmq drops the connection of a peer sending more).
        public var maxMessageBytes = 16 << 20
        /// Messages buffered per socket between libzmq and the role, and libzmq's high-water marks.
        public var socketQueueCapacity = 1024
        /// Options added to both sockets, e.g. `.curveServer(secretKey:)` to encrypt and authenticate
        /// (pair it with a `CurveAuthenticator` in the same context for an allow-list).
        public var security: [SocketOption] = []

        public init() {}

        /// Throws naming the first field that cannot work.
        public func validate() throws(AnnotatorError) {
            for (field, endpoint) in [("requestsEndpoint", requestsEndpoint), ("labelsEndpoint", labelsEndpoint)] {
                guard let scheme = endpoint.split(separator: ":").first,
                      ["tcp", "ipc", "inproc"].contains(scheme), endpoint.contains("://") else {
                    throw .invalidConfiguration(field: field, reason: "must be a tcp://, ipc:// or inproc:// endpoint, got '\(endpoint)'")
                }
            }
            if requestsEndpoint == labelsEndpoint {
                throw .invalidConfiguration(field: "labelsEndpoint", reason: "must differ from the requests endpoint")
            }
            if storePath.isEmpty { throw .invalidConfiguration(field: "storePath", reason: "must not be empty") }
            if id.isEmpty { throw .invalidConfiguration(field: "id", reason: "must not be empty") }
            if heartbeatInterval <= .zero { throw .invalidConfiguration(field: "heartbeatInterval", reason: "must be > 0") }
            if clientTimeout <= .zero { throw .invalidConfiguration(field: "clientTimeout", reason: "must be > 0") }
            if let statusInterval, statusInterval <= .zero {
                throw .invalidConfiguration(field: "statusInterval", reason: "must be > 0 (or nil for none)")
            }
            let positive = [("maxItemsPerRequest", maxItemsPerRequest), ("maxMessageBytes", maxMessageBytes),
                            ("socketQueueCapacity", socketQueueCapacity)]
            for (field, value) in positive where value < 1 {
                throw .invalidConfiguration(field: field, reason: "must be >= 1, got \(value)")
            }
            // Buffers are sized by these: past any use they would take all memory, or trap.
            let bounded = [("maxItemsPerRequest", maxItemsPerRequest, 1 << 20), ("maxMessageBytes", maxMessageBytes, 4 << 30),
                           ("socketQueueCapacity", socketQueueCapacity, 1 << 20)]
            for (field, value, most) in bounded where value > most {
                throw .invalidConfiguration(field: field, reason: "must be <= \(most), got \(value)")
            }
            do { try annotator.validate() } catch {
                if case .invalidConfiguration(let field, let reason) = error {
                    throw .invalidConfiguration(field: "annotator.\(field)", reason: reason)
                }
                throw error
            }
        }
    }

    /// The metric carrying when `run` started, seconds since the Unix epoch: tells clients that
    /// the role restarted.
    public static let startedAtMetric = "annotator/started_at_seconds"

    public let configuration: Configuration
    /// The core; exposed so an embedding process (e.g. `yendor train`) can also submit in-process.
    public let annotator: Annotator
    private let context: Context
    private let logger: Logger
    private let onListening: @Sendable () -> Void
    private let onStatus: @Sendable (String) -> Void
    /// The role's metrics and the core's (`annotator/…`), published in `Stats` messages.
    public var metrics: MetricsRegistry { annotator.metrics }
    /// Well-formed `AnnotationRequest`s received, and those answered `invalidRequest`.
    private let requests: Counter, invalidRequests: Counter
    /// Results broadcast on PUB.
    private let published: Counter
    private let startedAt: Gauge
    private let stopRequested = AsyncBoundedQueue<Void>(capacity: 1)
    /// Clients that heartbeat, by connection (`client(_:)`): the id they claim and when they were
    /// last heard. An entry goes at the client's Goodbye or after `clientTimeout` of silence.
    let clients = Mutex<[String: (id: String, lastHeard: ContinuousClock.Instant)]>([:])

    /// Opens the store and builds the labeler; throws `AnnotatorError` naming a bad field.
    /// - Parameters:
    ///   - onListening: called once both sockets are bound.
    ///   - onStatus: called with a status line every `statusInterval`.
    public convenience init(configuration: Configuration, context: Context, logger: Logger,
                            metrics: MetricsRegistry = MetricsRegistry(role: "annotator"),
                            onListening: @escaping @Sendable () -> Void = {},
                            onStatus: @escaping @Sendable (String) -> Void = { _ in }) throws(AnnotatorError) {
        try configuration.validate()
        try self.init(configuration: configuration, labeler: configuration.backend.makeLabeler(logger: logger, metrics: metrics),
                      context: context, logger: logger, metrics: metrics, onListening: onListening, onStatus: onStatus)
    }

    /// Runs the role with a labeler of your own instead of `configuration.backend` (a custom
    /// backend, or a test double).
    public init(configuration: Configuration, labeler: any Labeler, context: Context, logger: Logger,
                metrics: MetricsRegistry = MetricsRegistry(role: "annotator"),
                onListening: @escaping @Sendable () -> Void = {},
                onStatus: @escaping @Sendable (String) -> Void = { _ in }) throws(AnnotatorError) {
        try configuration.validate()
        let store = try LabelStore(path: configuration.storePath)
        annotator = try Annotator(labeler: labeler, store: store, configuration: configuration.annotator, logger: logger,
                                  metrics: metrics)
        requests = Counter(label: "annotator/requests", factory: metrics)
        invalidRequests = Counter(label: "annotator/invalid_requests", factory: metrics)
        published = Counter(label: "annotator/published", factory: metrics)
        startedAt = Gauge(label: Self.startedAtMetric, factory: metrics)
        self.configuration = configuration
        self.context = context
        self.logger = logger
        self.onListening = onListening
        self.onStatus = onStatus
    }

    /// The metrics as published in `Stats`, with the computed gauges brought up to now.
    public func snapshot() async -> [(name: String, value: Double)] {
        await annotator.refreshGauges()
        return metrics.snapshot()
    }

    /// One line for a terminal, with the computed gauges brought up to now.
    public func statusLine() async -> String {
        await annotator.refreshGauges()
        return AnnotatorMetrics.statusLine(metrics)
    }

    /// Starts a graceful shutdown without a `ServiceGroup` (embedding, tests).
    public func stop() { stopRequested.trySend(()) }

    private enum Loop { case receive, publish, periodic }

    public func run() async throws {
        let c = configuration
        let router = try await AsyncSocket(context: context, type: .router, name: "annotator.requests",
                                           inboxCapacity: c.socketQueueCapacity, outboxCapacity: c.socketQueueCapacity) { s in
            try s.set([.receiveHighWaterMark(c.socketQueueCapacity), .sendHighWaterMark(c.socketQueueCapacity),
                       .maxMessageSize(c.maxMessageBytes), .linger(milliseconds: 0)] + c.security)
            try s.bind(c.requestsEndpoint)
        }
        let pub: AsyncSocket
        do {
            pub = try await AsyncSocket(context: context, type: .pub, name: "annotator.labels",
                                        outboxCapacity: c.socketQueueCapacity) { s in
                try s.set([.sendHighWaterMark(c.socketQueueCapacity), .linger(milliseconds: 500)] + c.security)
                try s.bind(c.labelsEndpoint)
            }
        } catch {
            await router.close()
            throw error
        }
        logger.info("annotator listening", metadata: [
            "requests": "\(c.requestsEndpoint)", "labels": "\(c.labelsEndpoint)",
            "labeler": "\(annotator.identity.wireName)", "store": "\(c.storePath)"])
        startedAt.record(Date().timeIntervalSince1970)
        onListening()
        let results = await annotator.results()

        await withGracefulShutdownHandler {
            await withTaskGroup(of: Loop.self) { group in
                group.addTask { await self.receiveLoop(router: router, pub: pub); return .receive }
                group.addTask { await self.publishLoop(results, pub: pub); return .publish }
                group.addTask { await self.periodicLoop(pub: pub); return .periodic }
                // Runs until a shutdown is requested (or the service is cancelled).
                _ = await stopRequested.receive()
                logger.info("annotator stopping", metadata: ["grace_s": "\(c.annotator.shutdownGrace.seconds)"])
                // Stores and publishes the answers received, cancels what is still at the LLM after
                // the grace, ends `results`.
                await annotator.shutdown()
                await router.close()
                var open: Set<Loop> = [.receive, .publish]
                while !open.isEmpty, let done = await group.next() {
                    open.remove(done)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        try? await pub.send(Goodbye(id: c.id, reason: "shutdown").encoded())
        try? await Task.sleep(for: .milliseconds(100))
        await pub.close()
        let final = await statusLine()
        logger.info("annotator stopped", metadata: ["status": "\(final)"])
    }

    // MARK: Requests

    private func receiveLoop(router: AsyncSocket, pub: AsyncSocket) async {
        let limits = WireLimits(maxMessageBytes: configuration.maxMessageBytes)
        while let parts = await router.receive() {
            // [identity, (empty delimiter from REQ clients), payload]: everything before the
            // payload is the return address, sent back as is.
            guard parts.count >= 2, let frame = parts.last else {
                count(malformed: "envelope")
                continue
            }
            let address = parts.dropLast().map(\.bytes)
            let client = Self.client(address)
            let message: WireMessage
            do {
                message = try frame.withUnsafeBytes { try WireMessage.decode($0, limits: limits) }
            } catch let error as WireError {
                count(malformed: error.kindName)
                logger.debug("dropped a malformed frame", metadata: ["error": "\(error)"])
                continue
            } catch {
                count(malformed: "other")
                continue
            }
            switch message {
            case .annotationRequest(let request):
                clients.withLock { table in table[client]?.lastHeard = ContinuousClock.now }
                let (reply, evicted) = await answer(request, client: client)
                try? await router.send(address + [reply.encoded()])
                // Whoever asked for the evicted items hears that they will get no label.
                for notice in dropNotices(evicted) { try? await pub.send(notice.encoded()) }
            case .hello(let hello):
                logger.debug("client said hello", metadata: ["id": "\(hello.id)", "role": "\(hello.role)",
                                                             "version": "\(hello.capability(YendorVersion.capability) ?? "?")"])
                let mine = Hello(role: "annotator", id: configuration.id, capabilities: [
                    (YendorVersion.capability, YendorVersion.description),
                    ("labeler", annotator.identity.wireName),
                    ("max_items", "\(configuration.maxItemsPerRequest)"),
                ])
                try? await router.send(address + [mine.encoded()])
            case .goodbye(let goodbye):
                // A client that leaves (a learner that finished or stops) takes the requests only it
                // was waiting for out of the queue: the next run's are not kept behind them.
                _ = clients.withLock { $0.removeValue(forKey: client) }
                let withdrawn = await annotator.withdraw(client: client)
                if withdrawn > 0 { logger.info("client \(goodbye.id) left: \(withdrawn) queued requests only it asked for withdrawn") }
            case .heartbeat(let beat):
                clients.withLock { $0[client] = (beat.id, ContinuousClock.now) }
            default:
                count(malformed: "unexpected_\(message.kind)")
            }
        }
    }

    /// Submits a request to the core; returns the direct reply and the older pending requests
    /// the core dropped to make room.
    func answer(_ request: AnnotationRequest, client: String? = nil) async -> (reply: AnnotationResult, evicted: [LabelRequest]) {
        requests.increment()
        var reply = AnnotationResult(requestID: request.requestID, goal: request.goal, mode: request.mode,
                                     labeler: annotator.identity.wireName, entries: [])
        func refuse(_ why: String) -> (AnnotationResult, [LabelRequest]) {
            invalidRequests.increment()
            reply.entries = request.items.prefix(configuration.maxItemsPerRequest).map {
                .init(item: $0, outcome: .error(.invalidRequest, why))
            }
            return (reply, [])
        }
        let goal: Goal
        do { goal = try Goal(wireText: request.goal) } catch { return refuse("\(error)") }
        guard request.items.count <= configuration.maxItemsPerRequest else {
            return refuse("\(request.items.count) items, over the limit of \(configuration.maxItemsPerRequest)")
        }
        var labelRequests: [LabelRequest] = []
        for item in request.items {
            guard item.mode == request.mode else { return refuse("item \(item) does not match mode \(request.mode)") }
            labelRequests.append(LabelRequest(goal: goal, task: item))
        }
        reply.goal = goal.wireText
        let receipt = await annotator.submit(labelRequests, client: client)
        var known: [LabelRequest: LabelResult] = [:]
        for result in receipt.known { known[result.request] = result }
        // The core accepts nothing once it is stopping: every item then is accounted for nowhere.
        let accepted = receipt.known.count + receipt.queued + receipt.duplicates == labelRequests.count
        reply.entries = zip(request.items, labelRequests).map { item, labelRequest in
            if let result = known[labelRequest] {
                return .init(item: item, outcome: result.outcome.wireOutcome(rawResponse: result.answer.rawResponse))
            }
            return .init(item: item, outcome: accepted ? .pending : .error(.dropped, "annotator is shutting down"))
        }
        return (reply, receipt.evicted)
    }

    /// Withdraws the queued requests of clients that heartbeated and then went silent for
    /// `clientTimeout` (they said no Goodbye: killed, or cut off).
    private func withdrawForSilentClients() async {
        let deadline = ContinuousClock.now - configuration.clientTimeout
        let silent = clients.withLock { table in
            let gone = table.filter { $0.value.lastHeard < deadline }
            for client in gone.keys { table[client] = nil }
            return gone
        }
        for (client, entry) in silent {
            let withdrawn = await annotator.withdraw(client: client)
            logger.notice("client \(PeerID.loggable(entry.id)) silent for \(configuration.clientTimeout.seconds) s without a Goodbye (killed, or cut off by the network): \(withdrawn) queued requests only it asked for withdrawn")
        }
    }

    /// A client's name for the core: its connection's return address (ROUTER identity), which is
    /// this connection's alone, whatever id the client claims.
    static func client(_ address: [[UInt8]]) -> String {
        address.map { $0.map { String($0, radix: 16) }.joined(separator: ".") }.joined(separator: "/")
    }

    /// `dropped` broadcasts for evicted requests, one message per goal and mode.
    private func dropNotices(_ evicted: [LabelRequest]) -> [AnnotationResult] {
        LabelRequest.WireGroup.grouping(evicted).map { group, items in
            AnnotationResult(requestID: 0, goal: group.goal.wireText, mode: group.mode, labeler: annotator.identity.wireName,
                             entries: items.map { .init(item: $0, outcome: .error(.dropped, "the annotator's queue was full; ask again")) })
        }
    }

    /// A frame dropped, by kind: wire error names (`bad_magic`, `truncated`, ...), `envelope`
    /// (wrong frame count), `unexpected_<kind>` (a message the role does not take).
    private func count(malformed kind: String) {
        Counter(label: "annotator/malformed/\(kind)", factory: metrics).increment()
    }

    // MARK: Broadcasts

    private func publishLoop(_ results: AsyncStream<LabelResult>, pub: AsyncSocket) async {
        for await result in results {
            let message = result.wireResult(requestID: 0, labeler: annotator.identity)
            try? await pub.send(message.encoded())
            published.increment()
        }
    }

    private func periodicLoop(pub: AsyncSocket) async {
        var sequence: UInt64 = 0
        let clock = ContinuousClock()
        var nextStatus = configuration.statusInterval.map { clock.now + $0 }
        while !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            let beat = Heartbeat(id: configuration.id, sequence: sequence, timeNanos: UInt64(now * 1e9), policyVersion: 0)
            try? await pub.send(beat.encoded())
            sequence += 1
            let stats = Stats(id: configuration.id, role: "annotator", timeNanos: UInt64(now * 1e9),
                              values: await snapshot().map { ($0.name, $0.value) })
            try? await pub.send(stats.encoded())
            // Requests dropped while waiting for a retry: their askers hear it here, as they
            // hear of the ones a full queue evicts when a request comes.
            for notice in dropNotices(await annotator.takeDropped()) { try? await pub.send(notice.encoded()) }
            await withdrawForSilentClients()
            if let due = nextStatus, clock.now >= due, let interval = configuration.statusInterval {
                onStatus(AnnotatorMetrics.statusLine(metrics))
                nextStatus = due + interval
            }
            try? await Task.sleep(for: configuration.heartbeatInterval)
        }
    }
}
