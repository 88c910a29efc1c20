import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq socket. Not thread-safe: one thread owns it, uses it and closes it (closing from another
/// thread can abort libzmq). Async code uses `AsyncSocket`, which owns its `Socket` on a dedicated thread.
public final class Socket: @unchecked Sendable {
    /// The raw handle, for `Poller`.
    let handle: UnsafeMutableRawPointer
    /// The socket's type.
    public let type: SocketType
    private var closed = false

    public init(context: Context, type: SocketType) throws {
        guard let h = zmq_socket(context.handle, type.raw) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        handle = h
        self.type = type
    }

    deinit { close() }

    /// Closes the socket. Must run on the owning thread. Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws {
        if zmq_bind(handle, endpoint) != 0 { throw ZMQError.last("bind(\(endpoint))") }
    }

    public func connect(_ endpoint: String) throws {
        if zmq_connect(handle, endpoint) != 0 { throw ZMQError.last("connect(\(endpoint))") }
    }

    public func unbind(_ endpoint: String) throws {
        if zmq_unbind(handle, endpoint) != 0 { throw ZMQError.last("unbind(\(endpoint))") }
    }

    public func disconnect(_ endpoint: String) throws {
        if zmq_disconnect(handle, endpoint) != 0 { throw ZMQError.last("disconnect(\(endpoint))") }
    }

    /// The endpoint last bound, with the real port when bound to `tcp://host:*`.
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Monitoring

    /// What `monitor(_:events:)` reports.
    public struct MonitorEvents: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// A connection (a session with a peer) closed: the peer exited, or the network cut it.
        public static let disconnected = MonitorEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
        /// A connection attempt failed or timed out (`connectTimeout`) and another is scheduled.
        public static let connectRetried = MonitorEvents(rawValue: ZMQ_EVENT_CONNECT_RETRIED)
        /// The server's ZAP handler refused this socket's CURVE key (it is not on the allow-list).
        public static let handshakeFailedAuth = MonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        /// A handshake broke the protocol: another security mechanism, or CURVE boxes that do not open (a wrong key).
        public static let handshakeFailedProtocol = MonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        /// A handshake failed for another reason (libzmq gives none).
        public static let handshakeFailedNoDetail = MonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        /// Any failed handshake.
        public static let handshakeFailed: MonitorEvents = [.handshakeFailedAuth, .handshakeFailedProtocol, .handshakeFailedNoDetail]
    }

    /// Reports `events` of this socket as messages on a PAIR socket that libzmq binds at
    /// `endpoint` (`inproc://…`, connect a `.pair` socket to it); nil stops reporting (before close).
    /// Each report is two frames: the event id (u16) and a u32 value, then the peer's endpoint.
    public func monitor(_ endpoint: String?, events: MonitorEvents) throws {
        if zmq_socket_monitor(handle, endpoint, events.rawValue) != 0 { throw ZMQError.last("zmq_socket_monitor") }
    }

    /// The event id of a monitor report's first frame (`monitor(_:events:)`).
    public static func monitorEvent(_ frame: Message) -> MonitorEvents? {
        frame.withUnsafeBytes { bytes in
            bytes.count >= 6 ? MonitorEvents(rawValue: Int32(bytes.loadUnaligned(as: UInt16.self))) : nil
        }
    }

    // MARK: Options

    public func set(_ option: SocketOption) throws { try option.apply(to: handle) }

    public func set(_ options: [SocketOption]) throws { for o in options { try set(o) } }

    /// An integer option, for tests and diagnostics (e.g. `ZMQ_LINGER`).
    public func intOption(_ option: Int32) throws -> Int {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if zmq_getsockopt(handle, option, &value, &size) != 0 { throw ZMQError.last("zmq_getsockopt(\(option))") }
        return Int(value)
    }

    // MARK: Sending

    /// Sends one frame. With `dontWait`, returns false instead of blocking when the socket cannot send.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        var flags: Int32 = 0
        if more { flags |= ZMQ_SNDMORE }
        if dontWait { flags |= ZMQ_DONTWAIT }
        while true {
            if zmq_send(handle, bytes.baseAddress, bytes.count, flags) >= 0 { return true }
            let e = zmq_errno()
            if e == EINTR { continue }
            if e == EAGAIN && dontWait { return false }
            throw ZMQError(code: e, operation: "send(\(bytes.count) bytes)")
        }
    }

    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws -> Bool {
        try bytes.withUnsafeBytes { try send($0, more: more, dontWait: dontWait) }
    }

    /// Sends a multipart message atomically: the peer gets all parts or none.
    /// With `dontWait`, returns false when the first part cannot be queued (then nothing was sent).
    @discardableResult
    public func send(parts: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        precondition(!parts.isEmpty, "a message has at least one part")
        for (i, part) in parts.enumerated() {
            let last = i == parts.count - 1
            // Once the first part is queued libzmq accepts the rest of the message.
            let sent = try send(part, more: !last, dontWait: dontWait && i == 0)
            if !sent { return false }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one frame into libzmq's buffer (no copy). With `dontWait`, nil when nothing is queued.
    public func receiveFrame(dontWait: Bool = false) throws -> Message? {
        let message = Message()
        while true {
            if zmq_msg_recv(message.msg, handle, dontWait ? ZMQ_DONTWAIT : 0) >= 0 { return message }
            let e = zmq_errno()
            if e == EINTR { continue }
            if e == EAGAIN && dontWait { return nil }
            throw ZMQError(code: e, operation: "receive")
        }
    }

    /// Whether the frame just received has more parts after it.
    public func hasMoreParts(after message: Message) -> Bool { zmq_msg_more(message.msg) != 0 }

    /// Receives all parts of one message. With `dontWait`, nil when nothing is queued.
    public func receive(dontWait: Bool = false) throws -> [Message]? {
        guard let first = try receiveFrame(dontWait: dontWait) else { return nil }
        var parts = [first]
        // The remaining parts of a multipart message are already here: libzmq delivers whole messages.
        while hasMoreParts(after: parts[parts.count - 1]) {
            parts.append(try receiveFrame()!)
        }
        return parts
    }

    /// The socket's `ZMQ_EVENTS` (readable/writable now), for edge cases outside `Poller`.
    public var events: (readable: Bool, writable: Bool) {
        let value = (try? intOption(ZMQ_EVENTS)) ?? 0
        return (value & Int(ZMQ_POLLIN) != 0, value & Int(ZMQ_POLLOUT) != 0)
    }
}
