import Foundation
import Logging
import Synchronization
import YendorSupport
import YendorEnvironment
import YendorWire
import ZeroMQ

/// One DEALER connection to an environment server (docs/wire-protocol.md, kinds 48–54): one request
/// at a time, each answered within `timeout` or the server is considered gone.
final class EnvServerConnection {
    let endpoint: String
    /// How errors and logs name this connection (the endpoint, and the slice when it opens one).
    let label: String
    private let context: Context
    private let timeout: Double
    private let limits: WireLimits
    private var socket: Socket?
    /// Reports the socket's disconnections: a server that exits (a crash, a kill) is noticed at
    /// once instead of after `timeout` without a reply.
    private var monitor: Socket?
    private var sequence: UInt64 = 0
    /// Set from another thread to stop a wait (the env steps off the cooperative pool, where
    /// `Task.isCancelled` cannot be seen).
    let stop: StopFlag
    /// The sequence of the request awaiting its reply, if any.
    private(set) var pending: UInt64?
    /// What an env server's EnvError says when another connection has opened the envs of the one
    /// that asked (python/yendor_env/server.py, `_session_of`; its tests keep the words).
    static let takenOverSign = "from a connection that did not open these envs"

    init(endpoint: String, label: String? = nil, context: Context, timeout: Double, limits: WireLimits = .default,
         stop: StopFlag = StopFlag()) {
        self.stop = stop
        self.endpoint = endpoint
        self.label = label ?? endpoint
        self.context = context
        self.timeout = timeout
        self.limits = limits
    }

    deinit { closeSocket() }

    /// Names of the monitors' inproc endpoints, unique in the process.
    private static let monitors = Atomic<Int>(0)

    /// A fresh socket: a reply to a request sent on the old one can never arrive on this one.
    func reconnect() throws {
        closeSocket()
        let s = try Socket(context: context, type: .dealer)
        try s.set([.linger(milliseconds: 0), .maxMessageSize(limits.maxMessageBytes), .receiveHighWaterMark(4),
                   .sendHighWaterMark(4), .reconnectInterval(milliseconds: 100), .reconnectIntervalMax(milliseconds: 1000)])
        let name = "inproc://yendor-env-server-monitor-\(Self.monitors.wrappingAdd(1, ordering: .relaxed).newValue)"
        try s.monitor(name, events: .disconnected)
        let m = try Socket(context: context, type: .pair)
        try m.connect(name)
        try s.connect(endpoint)
        socket = s
        monitor = m
        pending = nil
    }

    private func closeSocket() {
        try? socket?.monitor(nil, events: [])
        socket?.close()
        monitor?.close()
        socket = nil
        monitor = nil
    }

    /// Whether the monitor has reported the connection closed since it was last asked.
    private func disconnected() throws -> Bool {
        var closed = false
        while let monitor, let report = try monitor.receive(dontWait: true) {
            if let first = report.first, Socket.monitorEvent(first)?.contains(.disconnected) == true { closed = true }
        }
        return closed
    }

    /// Sends a request built for the next sequence number.
    func send(_ make: (UInt64) -> [UInt8]) throws {
        if socket == nil { try reconnect() }
        sequence += 1
        let frame = make(sequence)
        guard try socket!.send(frame, dontWait: true) else {
            throw RemoteEnvironmentError.serverUnavailable(endpoint: label, reason: "cannot queue a request")
        }
        pending = sequence
    }

    /// Waits for the reply to the pending request; replies to older requests are skipped.
    func receive(until deadline: ContinuousClock.Instant) throws -> WireMessage {
        guard let socket, let expected = pending else {
            throw RemoteEnvironmentError.protocolViolation(endpoint: label, detail: "no request is pending")
        }
        while true {
            // Past the deadline, one last look without waiting: a worker that was not running (a
            // SIGSTOP, a loaded machine) finds the reply that came meanwhile (trial C: it counted
            // the server that had answered as failed).
            let left = (deadline - .now).seconds, expired = left <= 0
            if Task.isCancelled || stop.isSet { throw CancellationError() }
            var poller = Poller()
            _ = poller.add(socket, .readable)
            if let monitor { _ = poller.add(monitor, .readable) }
            // Short polls so that a cancelled task (SIGTERM) is noticed within a fraction of a second.
            guard try poller.poll(timeout: expired ? 0 : Int(min(left, 0.25) * 1000)) > 0 else {
                guard expired else { continue }
                // A slow env (every env of the request stepped in turn) looks the same as a hung
                // one: the setting is named (trial G waited on an env slower than 10 s a step).
                throw RemoteEnvironmentError.serverUnavailable(endpoint: label, reason:
                    "no reply within \(timeout) s (env.server_timeout): hung, gone, or its envs take longer than that for one step of all of them; if they are that slow, raise env.server_timeout")
            }
            // A reply that came before the server went is still read.
            guard let parts = try socket.receive(dontWait: true), let frame = parts.last else {
                if try disconnected() {
                    throw RemoteEnvironmentError.serverUnavailable(endpoint: label, reason: "the server closed the connection (it exited?)")
                }
                continue
            }
            let message: WireMessage
            do {
                message = try frame.withUnsafeBytes { try WireMessage.decode($0, limits: limits) }
            } catch {
                throw RemoteEnvironmentError.protocolViolation(endpoint: label, detail: "undecodable reply: \(error)")
            }
            guard let seq = message.environmentSequence, seq == expected else { continue }
            pending = nil
            if case .envError(let e) = message {
                throw RemoteEnvironmentError.serverError(endpoint: label, message: e.message)
            }
            return message
        }
    }

    /// Sends and waits, for requests made one at a time (open, close).
    func request(_ make: (UInt64) -> [UInt8]) throws -> WireMessage {
        try send(make)
        return try receive(until: replyDeadline)
    }

    /// Monotonic, so that a step of the wall clock neither stretches nor cuts short the wait for a reply.
    var replyDeadline: ContinuousClock.Instant { .now + .seconds(clamping: timeout) }
}

extension WireMessage {
    /// The sequence number of an env-server message.
    var environmentSequence: UInt64? {
        switch self {
        case .envSpec(let m): return m.sequence
        case .envStepResult(let m): return m.sequence
        case .envError(let m): return m.sequence
        case .envOpen(let m): return m.sequence
        case .envStep(let m): return m.sequence
        case .envClose(let m): return m.sequence
        case .envDescribe(let m): return m.sequence
        default: return nil
        }
    }
}

/// Why a remote environment could not be stepped.
public enum RemoteEnvironmentError: Error, CustomStringConvertible, Equatable {
    case serverUnavailable(endpoint: String, reason: String)
    case serverError(endpoint: String, message: String)
    case protocolViolation(endpoint: String, detail: String)
    case specMismatch(endpoint: String, got: String, expected: String)
    /// Another connection opened this one's envs again, `steps` steps after this one took them back.
    case takenOver(endpoint: String, steps: Int)

    public var description: String {
        switch self {
        case .serverUnavailable(let e, let r): return "env server \(e) unavailable: \(r)"
        case .serverError(let e, let m): return "env server \(e) refused a request: \(m)"
        case .protocolViolation(let e, let d): return "env server \(e) broke the protocol: \(d)"
        case .specMismatch(let e, let got, let expected):
            return "env server \(e) serves [\(got)], expected [\(expected)]"
        case .takenOver(let e, let steps):
            return "env server \(e): another worker opened this worker's envs there again, \(steps) steps after this one took them back: "
                + "two workers are stepping the same env server (each takes the envs from the other, cutting every episode short); "
                + "give each worker servers of its own (--env-server); this worker stops"
        }
    }
}
