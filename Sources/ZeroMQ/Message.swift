import CZeroMQ

/// One received frame, kept in libzmq's own buffer: reading it needs no extra copy.
/// Reading (`count`, `withUnsafeBytes`, `property`) only reads libzmq's message, so a received
/// frame may be read from several threads; receiving into it is the socket's alone.
public final class Message: @unchecked Sendable {
    /// libzmq's message, at a stable address of its own: reads pass this pointer, never an inout
    /// access to a stored property (which would count as a write).
    let msg: UnsafeMutablePointer<zmq_msg_t>

    init() {
        msg = .allocate(capacity: 1)
        msg.initialize(to: zmq_msg_t())
        zmq_msg_init(msg)
    }

    deinit {
        zmq_msg_close(msg)
        msg.deallocate()
    }

    /// Frame size in bytes.
    public var count: Int { zmq_msg_size(msg) }

    /// Borrow the frame's bytes without copying. Do not let the pointer escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let n = zmq_msg_size(msg)
        guard n > 0, let base = zmq_msg_data(msg) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: UnsafeRawPointer(base), count: n))
    }

    /// A copy of the bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// A message property set by the peer or ZAP handler, e.g. `"User-Id"` or `"Peer-Address"`.
    public func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(msg, name) else { return nil }
        return String(cString: value)
    }
}
