import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq failure: the errno name (`EAGAIN`, `ETERM`, …), libzmq's own message, and what was being done.
public struct ZMQError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The errno value libzmq reported.
    public let code: Int32
    /// The symbolic errno name, e.g. `EHOSTUNREACH`.
    public let name: String
    /// `zmq_strerror`'s text.
    public let message: String
    /// The call that failed, e.g. `bind(tcp://127.0.0.1:5555)`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.name = ZMQError.errnoName(code)
        self.message = String(cString: zmq_strerror(code))
        self.operation = operation
    }

    /// The error for the calling thread's current `zmq_errno()`.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation())
    }

    public var description: String {
        // libzmq says only "File name too long" for an ipc:// path its address cannot hold.
        let hint = code == ENAMETOOLONG && operation.contains("ipc://") ? "; a Unix socket's path holds at most 107 bytes" : ""
        return "\(operation): \(name) (\(message)\(hint))"
    }

    /// True when the operation would have blocked (non-blocking send or receive).
    public var wouldBlock: Bool { code == EAGAIN }

    static let ETERM_ZMQ: Int32 = 156_384_712 + 53

    static func errnoName(_ code: Int32) -> String {
        switch code {
        case EAGAIN: return "EAGAIN"
        case EINVAL: return "EINVAL"
        case EINTR: return "EINTR"
        case EFAULT: return "EFAULT"
        case ENOMEM: return "ENOMEM"
        case ENODEV: return "ENODEV"
        case ENOENT: return "ENOENT"
        case EADDRINUSE: return "EADDRINUSE"
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL"
        case EHOSTUNREACH: return "EHOSTUNREACH"
        case ENOTSOCK: return "ENOTSOCK"
        case EPROTONOSUPPORT: return "EPROTONOSUPPORT"
        case EMSGSIZE: return "EMSGSIZE"
        case ENOTSUP: return "ENOTSUP"
        case EMFILE: return "EMFILE"
        case ECONNREFUSED: return "ECONNREFUSED"
        case ENAMETOOLONG: return "ENAMETOOLONG"
        case 156_384_712 + 51: return "EFSM"
        case 156_384_712 + 52: return "ENOCOMPATPROTO"
        case ETERM_ZMQ: return "ETERM"
        case 156_384_712 + 54: return "EMTHREAD"
        default: return "errno \(code)"
        }
    }
}
