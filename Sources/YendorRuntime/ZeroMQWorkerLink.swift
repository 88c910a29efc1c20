import Foundation
import Synchronization
import YendorTransport
import YendorWire
import ZeroMQ

/// A worker's link across processes. Trajectories leave on a PUSH socket; Hellos on a second PUSH
/// connection to the same learner endpoint (the control path), so they never queue behind
/// trajectories; weights and Goodbyes arrive on a SUB socket. A learner's worker first says its
/// `Goodbye` behind its trajectories and waits for the learner's answer (`close`); without one, the
/// `Goodbye` goes on a fresh connection opened at shutdown: under backpressure the learner reads each connection only in its
/// turn, one message per trajectory it takes, so anything queued on an old connection waits for
/// updates; and libzmq (4.3.4) discards what is still in the kernel's socket buffer when a peer closes
/// a connection whose queue in the learner is full (a Goodbye behind four Hellos was lost that way
/// under a CPU hog). A fresh connection's queue in the learner is empty, so libzmq there reads the
/// Goodbye at once, and keeps it after the worker has gone.
final class ZeroMQWorkerLink: WorkerLink {
    /// Messages the control connection may hold for a learner that does not read them.
    static let controlQueueCapacity = 4
    /// How long the `Goodbye` may wait for its connection to open, and then to reach the learner
    /// before the process exits (its socket's linger), in milliseconds.
    static let goodbyeMilliseconds = 1500

    private let push: AsyncSocket, control: AsyncSocket, sub: AsyncSocket
    /// With CURVE: the control socket's monitor, which alone hears that the learner refused this key.
    private let authMonitor: AsyncSocket?
    private let refused = Atomic<Bool>(false)
    /// Names of the monitors' inproc endpoints, unique in the process.
    private static let monitors = Atomic<Int>(0)
    private let trajectories: String
    private let transport: TransportConfiguration
    private let security: [SocketOption]
    private let context: Context
    private let limits: WireLimits

    private init(push: AsyncSocket, control: AsyncSocket, sub: AsyncSocket, authMonitor: AsyncSocket?, trajectories: String,
                 transport: TransportConfiguration, security: [SocketOption], context: Context) {
        self.push = push
        self.control = control
        self.sub = sub
        self.authMonitor = authMonitor
        self.trajectories = trajectories
        self.transport = transport
        self.security = security
        self.context = context
        limits = WireLimits(maxMessageBytes: transport.maxMessageMiB << 20)
    }

    /// Connects to a learner (or a replay role) taking trajectories at `trajectories` and publishing
    /// weights at `weights`; `addressee` (this process's `id#instance`) also hears the learner's
    /// acknowledgement of its Goodbye, which is published to it alone.
    static func connect(_ t: TransportConfiguration, trajectories: String, weights: String, addressee: String? = nil,
                        context: Context) async throws -> ZeroMQWorkerLink {
        let security = try t.clientSecurity()
        // ZMTP heartbeats on the weights socket notice a dead link (a cut cable, a vanished node)
        // within a few intervals, where TCP alone can take minutes; ZeroMQ then reconnects. The PUSH
        // sockets have none: libzmq 4.3.4 aborts the *learner* (`!_io_error`, stream_engine_base.cpp)
        // when it decodes a PING from a connection that closed while the learner was not reading it,
        // i.e. whenever a worker stops under backpressure. They are reconnected by `reconnect()` instead.
        let interval = Duration.milliseconds(clamping: t.heartbeatInterval)
        let liveness: [SocketOption] = [.heartbeatInterval(milliseconds: interval),
                                        .heartbeatTimeout(milliseconds: interval * t.heartbeatMisses),
                                        .heartbeatTTL(milliseconds: interval * t.heartbeatMisses)]
        let push = try await AsyncSocket(context: context, type: .push, name: "worker.trajectories",
                                         outboxCapacity: t.queueCapacity) { s in
            try s.set([.sendHighWaterMark(t.queueCapacity), .linger(milliseconds: 0), .immediate(true)] + t.reconnection + t.trajectorySendBuffer + security)
            try s.connect(trajectories)
        }
        // The control path, used only through `sendNow` (a full queue fails at once). `immediate`
        // queues nothing for a learner that is not connected. Hellos left in it at shutdown are
        // stale: no linger.
        // With CURVE, a learner that refuses this key tells only the socket's monitor (each retry
        // fails again, so a report missed before the monitor's reader connects comes again).
        let monitorName = security.isEmpty ? nil : "inproc://yendor-worker-auth-\(Self.monitors.wrappingAdd(1, ordering: .relaxed).newValue)"
        let control = try await AsyncSocket(context: context, type: .push, name: "worker.control", outboxCapacity: 1) { s in
            try s.set([.sendHighWaterMark(Self.controlQueueCapacity), .linger(milliseconds: 0), .immediate(true)] + t.reconnection + security)
            if let monitorName { try s.monitor(monitorName, events: .handshakeFailedAuth) }
            try s.connect(trajectories)
        }
        var authMonitor: AsyncSocket?
        if let monitorName {
            authMonitor = try await AsyncSocket(context: context, type: .pair, name: "worker.auth-monitor") { s in try s.connect(monitorName) }
        }
        let sub = try await AsyncSocket(context: context, type: .sub, name: "worker.weights") { s in
            // Every message (one frame, beginning with the envelope's magic) and this process's acknowledgement.
            let topics = [Envelope.magic] + (addressee.map { [Goodbye.acknowledgementTopic($0)] } ?? [])
            try s.set(topics.map { .subscribe($0) } + [.maxMessageSize(t.maxMessageMiB << 20), .linger(milliseconds: 0)] + t.reconnection + liveness + security)
            try s.connect(weights)
        }
        let link = ZeroMQWorkerLink(push: push, control: control, sub: sub, authMonitor: authMonitor, trajectories: trajectories,
                                    transport: t, security: security, context: context)
        if let authMonitor { Task { await link.watch(authMonitor) } }
        return link
    }

    var refusedByAuthentication: Bool { refused.load(ordering: .relaxed) }

    /// Notes a refused CURVE handshake reported by the control socket's monitor, until it closes.
    private func watch(_ monitor: AsyncSocket) async {
        while let report = await monitor.receive() {
            if let first = report.first, Socket.monitorEvent(first)?.contains(.handshakeFailedAuth) == true {
                refused.store(true, ordering: .relaxed)
            }
        }
    }

    func send(_ batch: TrajectoryBatch) async throws { try await push.send(batch.encoded()) }

    func trySendControl(_ message: WireMessage) async -> Bool { await Self.sendNow(message.encoded(), on: control) }

    func receive() async -> Received? { await sub.receiveMessage(limits: limits) }

    var outboxDepth: Int { push.outboxDepth }
    var outboxCapacity: Int { push.outboxCapacity }

    func reconnect(trajectories reconnectTrajectories: Bool) async {
        // Without ZMTP heartbeats a PUSH connection to a vanished node would wait for TCP to give up
        // (minutes); a fresh connection reaches the learner as soon as it is back. libzmq drops
        // what was queued for the old one, so the trajectory connection is renewed only when asked:
        // a learner that was merely silent (paused, starved of CPU) takes them on the old one.
        for socket in reconnectTrajectories ? [push, control] : [control] {
            try? await socket.perform { [trajectories] s in
                try s.disconnect(trajectories)
                try s.connect(trajectories)
            }
        }
    }

    func close(sayingGoodbye goodbye: Goodbye?, flushingWithin flush: Duration,
               acknowledgedAs addressee: String?) async -> (goodbyeSaid: Bool, acknowledged: Bool, unsent: Int) {
        let deadline = ContinuousClock.now + flush
        var queued = false, acknowledged = false
        if let goodbye, let addressee, flush > .zero {
            // Behind the trajectories, on their connection: the learner takes it after them and
            // answers, and only then does the connection close. libzmq (4.3.4) would otherwise drop
            // what sits in the kernel's buffer of a connection the learner is not reading as it closes
            // (one or two trajectories per worker under backpressure).
            let encoded = goodbye.encoded()
            queued = await Self.within(deadline) { [push] in (try? await push.send(encoded)) != nil }
            if queued { acknowledged = await Self.within(deadline) { [sub, limits] in await Self.acknowledgement(addressee, on: sub, limits: limits) } }
        }
        // The trajectories leave before the Goodbye is said: the learner still takes a worker's
        // last ones after its Goodbye (Membership's `leaving`), but not from a worker it never heard.
        var unsent = await push.close(flushingWithin: acknowledged ? .zero : max(.zero, deadline - .now))
        if queued && unsent > 0 { unsent -= 1 }  // the Goodbye, the outbox's last message, stayed too
        if authMonitor != nil { try? await control.perform { s in try s.monitor(nil, events: []) } }
        await control.close()
        await authMonitor?.close()
        // Unanswered, it goes again on a fresh connection; either one handed to libzmq is said (the
        // learner may have taken the first and stopped before its answer reached this worker).
        let said = if acknowledged { true } else if let goodbye { await sayGoodbye(goodbye.encoded()) || queued } else { false }
        await sub.close()
        return (said, acknowledged, unsent)
    }

    /// Reads `sub` until the learner's acknowledgement of `addressee`'s Goodbye; false if the socket closes first.
    private static func acknowledgement(_ addressee: String, on sub: AsyncSocket, limits: WireLimits) async -> Bool {
        while let received = await sub.receiveMessage(limits: limits) {
            if case .message(.goodbye(let g)) = received, g.id == addressee, g.isAcknowledgement { return true }
        }
        return false
    }

    /// Whether `body` returned true before `deadline` (it is cancelled then, and its answer still counts).
    private static func within(_ deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async -> Bool) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await body() }
            group.addTask { try? await Task.sleep(until: deadline); return false }
            var done = false
            for await answer in group {
                done = done || answer
                group.cancelAll()
            }
            return done
        }
    }

    /// Hands one message to libzmq on the socket's own thread; false when libzmq's queue is full or
    /// no learner is connected (the message is dropped).
    private static func sendNow(_ message: [UInt8], on socket: AsyncSocket) async -> Bool {
        let accepted = Atomic<Bool>(false)
        try? await socket.perform { s in accepted.store(try s.send(parts: [message], dontWait: true), ordering: .relaxed) }
        return accepted.load(ordering: .relaxed)
    }

    /// Sends the Goodbye on a fresh connection (see the type's comment), retrying for a bounded time
    /// until it is open and libzmq takes the message; closing the socket then lets it leave (linger).
    private func sayGoodbye(_ goodbye: [UInt8]) async -> Bool {
        let t = transport
        guard let socket = try? await AsyncSocket(context: context, type: .push, name: "worker.goodbye", outboxCapacity: 1, setup: { [trajectories, security] s in
            try s.set([.sendHighWaterMark(1), .linger(milliseconds: Self.goodbyeMilliseconds), .immediate(true)] + t.reconnection + security)
            try s.connect(trajectories)
        }) else { return false }
        let deadline = Clock.now + Double(Self.goodbyeMilliseconds) / 1000
        var said = false
        repeat {
            said = await Self.sendNow(goodbye, on: socket)
            if !said { try? await Task.sleep(for: .milliseconds(20)) }
        } while !said && Clock.now < deadline
        await socket.close()
        return said
    }
}
