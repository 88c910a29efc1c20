import Foundation
import Logging
import Synchronization
import CoreMetrics
import YendorAnnotator
import YendorMetrics
import YendorSupport
import YendorVersion
import YendorWire
import ZeroMQ

/// A client of the `yendor annotator` role: a DEALER to its requests endpoint and a SUB to its
/// labels endpoint. The learner uses it to ask for labels without ever waiting for them.
///
/// `request` never blocks for long: it queues into a bounded outbox and, if that stays full for
/// `sendTimeout` (the annotator is down and libzmq's own queue is full too), gives up, counts the
/// items as unsent and throws `Unsent`. `tryRequest` never waits at all. ZeroMQ reconnects on its
/// own when the annotator comes back; requests it had queued but not answered are lost with the
/// annotator's queue, so the client remembers the items it sent that are not answered yet (bounded)
/// and sends them again when it sees the annotator restart (the start time in its `Stats` changes).
///
/// `results` yields every `AnnotationResult` the client receives: direct replies (request id as
/// returned by `request`, entries may be `.pending`) and broadcasts (request id 0) of every label
/// the annotator produces, for any client. It is buffered up to `resultBufferSize`; beyond that
/// the oldest are dropped and counted.
public final class AnnotatorClient: Sendable {
    public struct Configuration: Sendable {
        /// The annotator's ROUTER endpoint, e.g. `tcp://annotator-host:5557`.
        public var requestsEndpoint = "tcp://127.0.0.1:5557"
        /// The annotator's PUB endpoint, e.g. `tcp://annotator-host:5558`.
        public var labelsEndpoint = "tcp://127.0.0.1:5558"
        /// This client's id in its `Hello`.
        public var id = "client-\(ProcessInfo.processInfo.processIdentifier)"
        /// Requests buffered before `request` waits (libzmq queues up to the same number again).
        public var outboxCapacity = 256
        /// How long `request` waits for room in a full outbox before giving up.
        public var sendTimeout: Duration = .seconds(1)
        /// Results buffered in `results` before the oldest are dropped.
        public var resultBufferSize = 4096
        /// Items sent and not answered yet, remembered for resending after an annotator restart;
        /// beyond this the oldest are forgotten (and counted).
        public var pendingCapacity = 10_000
        /// Largest frame accepted from the annotator, in bytes.
        public var maxMessageBytes = 16 << 20
        /// Options added to both sockets, e.g. `.curveClient(…)` for an annotator with CURVE on.
        public var security: [SocketOption] = []
        /// libzmq's reconnect interval while the annotator is unreachable.
        public var reconnectInterval: Duration = .milliseconds(200)
        /// Longest wait for a TCP connection to the annotator to open before it is tried again
        /// (without it, an attempt made during a network cut waits out the kernel's SYN retries).
        public var connectTimeout: Duration = .seconds(3)
        /// Time between this client's heartbeats to the annotator, sent while it hears the
        /// annotator: one that stops hearing them (this process was killed) withdraws the queued
        /// requests only this client asked for (`AnnotatorServer.Configuration.clientTimeout`).
        public var heartbeatInterval: Duration = .seconds(1)

        public init() {}

        /// Throws naming the first field that cannot work.
        public func validate() throws(AnnotatorError) {
            for (field, endpoint) in [("requestsEndpoint", requestsEndpoint), ("labelsEndpoint", labelsEndpoint)]
            where !endpoint.contains("://") {
                throw .invalidConfiguration(field: field, reason: "must be an endpoint like tcp://host:port, got '\(endpoint)'")
            }
            let positive = [("outboxCapacity", outboxCapacity), ("resultBufferSize", resultBufferSize),
                            ("pendingCapacity", pendingCapacity), ("maxMessageBytes", maxMessageBytes)]
            for (field, value) in positive where value < 1 {
                throw .invalidConfiguration(field: field, reason: "must be >= 1, got \(value)")
            }
            if sendTimeout < .zero { throw .invalidConfiguration(field: "sendTimeout", reason: "must be >= 0") }
            if reconnectInterval <= .zero { throw .invalidConfiguration(field: "reconnectInterval", reason: "must be > 0") }
            if connectTimeout < .milliseconds(1) { throw .invalidConfiguration(field: "connectTimeout", reason: "must be >= 1 ms") }
            if heartbeatInterval <= .zero { throw .invalidConfiguration(field: "heartbeatInterval", reason: "must be > 0") }
        }
    }

    /// The client's counters (`annotator_client/…`), in the registry it was given.
    struct Counters: Sendable {
        /// Requests handed to the socket.
        let sent: Counter
        /// Items that could not be sent (outbox full past `sendTimeout`, or closed).
        let unsentItems: Counter
        /// Items sent again after an annotator restart, and items sent once it was heard after
        /// they had found the outbox full.
        let resentItems: Counter
        /// Pending items forgotten because `pendingCapacity` was reached.
        let forgottenPending: Counter
        /// Results received (direct replies and broadcasts).
        let received: Counter
        /// Results dropped because `results` was not read fast enough.
        let droppedResults: Counter
        /// Frames from the annotator that did not decode.
        let malformed: Counter
        /// Heartbeats received from the annotator.
        let heartbeats: Counter
        /// Times the annotator was seen to restart.
        let annotatorRestarts: Counter

        init(registry: MetricsRegistry) {
            func counter(_ name: String) -> Counter { Counter(label: "annotator_client/\(name)", factory: registry) }
            sent = counter("sent")
            unsentItems = counter("unsent_items")
            resentItems = counter("resent_items")
            forgottenPending = counter("forgotten_pending")
            received = counter("received")
            droppedResults = counter("dropped_results")
            malformed = counter("malformed")
            heartbeats = counter("heartbeats")
            annotatorRestarts = counter("annotator_restarts")
        }
    }

    /// Thrown by `request` when the items could not be queued; they are counted in `unsentItems`.
    public struct Unsent: Error, CustomStringConvertible {
        public let items: Int
        public let reason: String
        public var description: String { "annotation request not sent (\(items) items): \(reason)" }
    }

    /// Direct replies and broadcasts; single consumer.
    public let results: AsyncStream<AnnotationResult>
    public let configuration: Configuration
    private let continuation: AsyncStream<AnnotationResult>.Continuation
    private let dealer: AsyncSocket
    private let sub: AsyncSocket
    private let logger: Logger
    private let state: Mutex<State>
    private let loops = Mutex<[Task<Void, Never>]>([])
    private let heartbeats = Mutex<Task<Void, Never>?>(nil)

    /// Where the client's counters are recorded (`annotator_client/…`): the role's registry.
    public let metrics: MetricsRegistry
    private let counters: Counters

    private struct State {
        var heardHeartbeat = false
        var nextRequestID: UInt64 = 1
        /// The unanswered requests (goal and task) to resend after a restart, oldest first; the
        /// oldest is forgotten beyond `pendingCapacity`.
        var pending: BoundedOrderedSet<LabelRequest>
        /// Items `tryRequest` could not send (the outbox full: the annotator away or slow), sent
        /// when the annotator is next heard (`resendUnsent`); bounded like `pending`.
        var unsent: BoundedOrderedSet<LabelRequest>
        var resendingUnsent = false
        var annotatorStartedAt: Double?
        var lastHeard: ContinuousClock.Instant?
        /// The reason of the annotator's Goodbye, until it is heard again.
        var goodbye: String?
    }

    /// Connects both sockets (the annotator need not be up) and starts receiving.
    public init(configuration: Configuration, context: Context, logger: Logger,
                metrics: MetricsRegistry = MetricsRegistry(role: "annotator_client")) async throws {
        try configuration.validate()
        state = Mutex(State(pending: BoundedOrderedSet(capacity: configuration.pendingCapacity),
                            unsent: BoundedOrderedSet(capacity: configuration.pendingCapacity)))
        self.metrics = metrics
        counters = Counters(registry: metrics)
        let c = configuration
        let reconnection: [SocketOption] = [.reconnectInterval(milliseconds: Duration.milliseconds(clamping: c.reconnectInterval.seconds)),
                                            .connectTimeout(milliseconds: Duration.milliseconds(clamping: c.connectTimeout.seconds))]
        dealer = try await AsyncSocket(context: context, type: .dealer, name: "annotator-client.requests",
                                       inboxCapacity: 256, outboxCapacity: c.outboxCapacity) { s in
            try s.set([.sendHighWaterMark(c.outboxCapacity), .receiveHighWaterMark(1024), .maxMessageSize(c.maxMessageBytes),
                       // A short linger, so the Goodbye of `close` leaves; no longer, so a down annotator
                       // does not hold up a stop.
                       .linger(milliseconds: 500)] + reconnection + c.security)
            try s.connect(c.requestsEndpoint)
        }
        do {
            sub = try await AsyncSocket(context: context, type: .sub, name: "annotator-client.labels", inboxCapacity: 1024) { s in
                try s.set([.receiveHighWaterMark(c.resultBufferSize), .maxMessageSize(c.maxMessageBytes),
                           .linger(milliseconds: 0), .subscribe([])] + reconnection + c.security)
                try s.connect(c.labelsEndpoint)
            }
        } catch {
            await dealer.close()
            throw error
        }
        self.configuration = configuration
        self.logger = logger
        (results, continuation) = AsyncStream.makeStream(of: AnnotationResult.self,
                                                         bufferingPolicy: .bufferingNewest(c.resultBufferSize))
        _ = dealer.trySend([Hello(role: "client", id: c.id, capabilities: [(YendorVersion.capability, YendorVersion.description)]).encoded()])
        let dealerLoop = Task { [self] in await receiveLoop(dealer) }
        let subLoop = Task { [self] in await receiveLoop(sub) }
        loops.withLock { $0 = [dealerLoop, subLoop] }
        heartbeats.withLock { $0 = Task { [self] in await heartbeatLoop() } }
    }

    /// Asks for labels; returns the request id echoed in the direct reply. Waits at most
    /// `sendTimeout` for room in the outbox, then throws `Unsent`.
    @discardableResult
    public func request(goal: Goal, mode: AnnotationMode, items: [LabelTask]) async throws -> UInt64 {
        let (id, frame) = prepare(goal: goal, mode: mode, items: items)
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.sendTimeout
        while !dealer.trySend([frame]) {
            var waited = clock.now < deadline
            if waited {
                do { try await Task.sleep(for: .milliseconds(5)) } catch { waited = false }
            }
            if !waited {
                forget(goal: goal, items: items)
                counters.unsentItems.increment(by: items.count)
                throw Unsent(items: items.count, reason: "outbox full for \(configuration.sendTimeout): the annotator is unreachable or overloaded")
            }
        }
        counters.sent.increment()
        return id
    }

    /// Asks for labels if the outbox has room now; nil (and the items counted unsent) otherwise.
    @discardableResult
    public func tryRequest(goal: Goal, mode: AnnotationMode, items: [LabelTask]) -> UInt64? {
        let (id, frame) = prepare(goal: goal, mode: mode, items: items)
        guard dealer.trySend([frame]) else {
            setAside(goal: goal, items: items)
            counters.unsentItems.increment(by: items.count)
            return nil
        }
        counters.sent.increment()
        return id
    }

    /// When the last well-formed message (heartbeat, stats or result) came from the annotator;
    /// nil if none has yet. The annotator heartbeats every second (`AnnotatorServer`), so a long
    /// silence means it is down or unreachable.
    public var lastHeardFromAnnotator: ContinuousClock.Instant? { state.withLock { $0.lastHeard } }

    /// Why the annotator said it stopped (its Goodbye's reason, e.g. `shutdown`); nil once it is
    /// heard again, and while it never said so.
    public var annotatorGoodbye: String? { state.withLock { $0.goodbye } }

    /// Waits until a heartbeat from the annotator has arrived (so the SUB socket is connected and
    /// no broadcast is missed from now on); false after `timeout`.
    public func waitForAnnotator(timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if state.withLock({ $0.heardHeartbeat }) { return true }
            guard (try? await Task.sleep(for: .milliseconds(10))) != nil else { return false }
        }
        return false
    }

    /// Says Goodbye (the annotator then drops the queued requests only this client wanted), closes
    /// both sockets and ends `results`. Idempotent.
    public func close() async {
        // Handed to libzmq on the socket's thread (the outbox is not sent once closing begins);
        // the linger then lets it leave.
        heartbeats.withLock { $0?.cancel() }
        let goodbye = Goodbye(id: configuration.id, reason: "shutdown").encoded()
        try? await dealer.perform { _ = try $0.send(parts: [goodbye], dontWait: true) }
        await dealer.close()
        await sub.close()
        for loop in loops.withLock({ $0 }) { await loop.value }
        continuation.finish()
    }

    // MARK: Internals

    /// Heartbeats while the annotator is heard (within three of its own 1 s heartbeats): sent to
    /// an annotator that is down, they would only fill the outbox that requests need.
    private func heartbeatLoop() async {
        var sequence: UInt64 = 0
        while !Task.isCancelled {
            if let heard = lastHeardFromAnnotator, ContinuousClock.now - heard < .seconds(3) {
                let beat = Heartbeat(id: configuration.id, sequence: sequence, timeNanos: UInt64(Date().timeIntervalSince1970 * 1e9), policyVersion: 0)
                if dealer.trySend([beat.encoded()]) { sequence += 1 }
            }
            try? await Task.sleep(for: configuration.heartbeatInterval)
        }
    }

    /// The request's id and frame; its items are remembered as pending from here, before the
    /// send: the answer (a broadcast label) may come before the direct reply that says "pending",
    /// and an item that reply added back was never forgotten (it was sent again at every restart).
    private func prepare(goal: Goal, mode: AnnotationMode, items: [LabelTask]) -> (UInt64, [UInt8]) {
        var forgotten = 0
        let id = state.withLock { state in
            for item in items where state.pending.insert(LabelRequest(goal: goal, task: item)) != nil { forgotten += 1 }
            defer { state.nextRequestID += 1 }
            return state.nextRequestID
        }
        counters.forgottenPending.increment(by: forgotten)
        return (id, AnnotationRequest(requestID: id, goal: goal.wireText, mode: mode, items: items).encoded())
    }

    /// Items that were not sent are not pending.
    private func forget(goal: Goal, items: [LabelTask]) {
        state.withLock { state in for item in items { state.pending.remove(LabelRequest(goal: goal, task: item)) } }
    }

    /// Items that were not sent wait to be sent when the annotator is heard (`resendUnsent`).
    private func setAside(goal: Goal, items: [LabelTask]) {
        var forgotten = 0
        state.withLock { state in
            for item in items {
                let request = LabelRequest(goal: goal, task: item)
                state.pending.remove(request)
                if state.unsent.insert(request) != nil { forgotten += 1 }
            }
        }
        counters.forgottenPending.increment(by: forgotten)
    }

    /// Items remembered as pending (sent, not yet answered).
    var pendingCount: Int { state.withLock { $0.pending.count } }

    private func receiveLoop(_ socket: AsyncSocket) async {
        let limits = WireLimits(maxMessageBytes: configuration.maxMessageBytes)
        while let parts = await socket.receive() {
            guard let frame = parts.last,
                  let message = try? frame.withUnsafeBytes({ try WireMessage.decode($0, limits: limits) }) else {
                counters.malformed.increment()
                continue
            }
            let now = ContinuousClock.now
            if case .goodbye(let goodbye) = message {
                // Said as it stops: not a reply, so it does not count as hearing it.
                state.withLock { $0.goodbye = goodbye.reason }
                continue
            }
            state.withLock {
                $0.lastHeard = now
                $0.goodbye = nil
            }
            switch message {
            case .annotationResult(let result):
                track(result)
                if case .dropped = continuation.yield(result) {
                    counters.droppedResults.increment()
                }
            case .heartbeat:
                counters.heartbeats.increment()
                state.withLock { $0.heardHeartbeat = true }
                resendUnsent()
            case .stats(let stats):
                if restarted(stats) { await resendPending() }
            default:
                break
            }
        }
    }

    /// Forgets the items a result answers (a label, an error, a drop), pending or set aside unsent;
    /// "pending" changes nothing.
    func track(_ result: AnnotationResult) {
        let goal = try? Goal(wireText: result.goal)
        counters.received.increment()
        state.withLock { state in
            guard let goal else { return }
            for entry in result.entries {
                if case .pending = entry.outcome { continue }
                // Set aside unsent too: a resend after a restart that found the outbox full sets
                // aside items whose first send may still be answered.
                let request = LabelRequest(goal: goal, task: entry.item)
                state.pending.remove(request)
                state.unsent.remove(request)
            }
        }
    }

    /// True when the annotator's start time (in its `Stats`) changed: it restarted.
    private func restarted(_ stats: Stats) -> Bool {
        guard stats.role == "annotator", let startedAt = stats[AnnotatorServer.startedAtMetric] else { return false }
        let restarted = state.withLock { state in
            defer { state.annotatorStartedAt = startedAt }
            guard let last = state.annotatorStartedAt, last != startedAt else { return false }
            return true
        }
        if restarted { counters.annotatorRestarts.increment() }
        return restarted
    }

    /// Sends the items that could not be sent, now that the annotator is heard: they waited for
    /// the reward model to ask again (`reward.query_retry_s`, a minute), long after an annotator
    /// back from a short outage could have answered. What still finds the outbox full waits again.
    private func resendUnsent() {
        let items: [LabelRequest] = state.withLock { state in
            guard !state.unsent.isEmpty, !state.resendingUnsent else { return [] }
            state.resendingUnsent = true
            var all: [LabelRequest] = []
            while let next = state.unsent.popFirst() { all.append(next) }
            return all
        }
        guard !items.isEmpty else { return }
        var sent = 0
        for (key, group) in LabelRequest.WireGroup.grouping(items) {
            for chunk in Self.resendChunks(group) {
                let (_, frame) = prepare(goal: key.goal, mode: key.mode, items: chunk)
                if dealer.trySend([frame]) {
                    counters.sent.increment()
                    sent += chunk.count
                } else {
                    setAside(goal: key.goal, items: chunk)  // counted as unsent once, when it first was
                }
            }
        }
        state.withLock { $0.resendingUnsent = false }
        guard sent > 0 else { return }
        counters.resentItems.increment(by: sent)
        logger.info("annotator heard; sent the items that could not be sent before", metadata: ["items": "\(sent)"])
    }

    /// `items` in requests of 256 at most, as they are sent again.
    private static func resendChunks(_ items: [LabelTask]) -> [[LabelTask]] {
        stride(from: 0, to: items.count, by: 256).map { Array(items[$0..<min($0 + 256, items.count)]) }
    }

    /// Items set aside unsent, waiting for the annotator to be heard.
    var unsentCount: Int { state.withLock { $0.unsent.count } }

    /// Sends every remembered pending item again, grouped by goal and mode.
    private func resendPending() async {
        let groups = LabelRequest.WireGroup.grouping(state.withLock { $0.pending.elements })
        guard !groups.isEmpty else { return }
        logger.info("annotator restarted; sending pending items again", metadata: ["items": "\(groups.map(\.items.count).reduce(0, +))"])
        for (key, items) in groups {
            for chunk in Self.resendChunks(items) {
                if tryRequest(goal: key.goal, mode: key.mode, items: chunk) != nil {
                    counters.resentItems.increment(by: chunk.count)
                }
            }
        }
    }
}
