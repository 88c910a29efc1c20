import CZeroMQ
import Synchronization

/// A libzmq context. One per process is the norm; `inproc://` endpoints only connect within one context.
///
/// Swift never runs `deinit` for globals, so roles call `terminate()` explicitly before exiting:
/// otherwise queued messages are lost and peers wait forever.
public final class Context: @unchecked Sendable {
    /// The raw `void *` handle. Safe to share: libzmq contexts are thread-safe.
    let handle: UnsafeMutableRawPointer
    private let state = Mutex(State())

    private struct State {
        var terminated = false
        var shutDown = false
    }

    /// - Parameter ioThreads: libzmq I/O threads. One moves ~1 GB/s, enough for a 2-core node.
    public init(ioThreads: Int = 1) throws {
        guard let h = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        handle = h
        // Sockets created later default to linger 0 unless a role asks for more; `terminate` never hangs.
        zmq_ctx_set(h, ZMQ_BLOCKY, 0)
        if zmq_ctx_set(h, ZMQ_IO_THREADS, Int32(ioThreads)) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS, \(ioThreads))")
            zmq_ctx_term(h)
            throw error
        }
    }

    /// Makes every blocking call on every socket of this context return `ETERM`, so owner threads can
    /// close their sockets. Idempotent and callable from any thread.
    public func shutdown() {
        let first = state.withLock { s -> Bool in
            defer { s.shutDown = true }
            return !s.shutDown && !s.terminated
        }
        if first { zmq_ctx_shutdown(handle) }
    }

    /// Terminates the context: blocking calls on its sockets return `ETERM`, and this waits until every
    /// socket is closed (each by its own thread) and its linger period has passed. Idempotent.
    ///
    /// It does not call `zmq_ctx_shutdown` first: after a shutdown libzmq may drop messages that are
    /// still inside their linger period (seen as lost tail messages over ipc).
    public func terminate() {
        let first = state.withLock { s -> Bool in
            defer { s.terminated = true }
            return !s.terminated
        }
        guard first else { return }
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    deinit { terminate() }

    /// libzmq's version, e.g. (4, 3, 4).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// Whether libzmq was built with a capability, e.g. `"curve"` or `"ipc"`.
    public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }
}
