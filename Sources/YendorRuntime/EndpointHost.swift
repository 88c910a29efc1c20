import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The host of a `tcp://HOST:PORT` endpoint a role connects to. libzmq resolves it in the
/// background and quietly tries again, so a name that does not resolve (a typo, a Kubernetes
/// Service not created yet) looked exactly like a peer that is down; the roles' "no connection"
/// warnings look it up themselves to say which it is.
struct EndpointHost: Sendable, Equatable {
    /// The host as written in the endpoint: a name, an IPv4 address, or an IPv6 address without
    /// its brackets.
    let name: String

    /// The host of `endpoint`; nil for other transports and for a wildcard (`*`), which nobody
    /// connects to.
    init?(endpoint: String) {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        var address = endpoint.dropFirst("tcp://".count)
        // libzmq's `tcp://source;destination` form: the destination is the peer.
        if let semicolon = address.lastIndex(of: ";") { address = address[address.index(after: semicolon)...] }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        var host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, host != "*" else { return nil }
        name = String(host)
    }

    /// Why `name` does not resolve, in the system resolver's words; nil when it resolves, or when
    /// the task is cancelled first. The lookup runs on a thread of its own: a resolver can take
    /// tens of seconds to give up, and a blocked thread of the cooperative pool stops other tasks;
    /// a stopping role does not wait for it.
    func resolutionFailure() async -> String? {
        let name = name, waiting = Waiting()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if waiting.hold(continuation) {
                    Thread.detachNewThread { waiting.resume(Self.lookUp(name)) }
                }
            }
        } onCancel: {
            waiting.cancel()
        }
    }

    /// The continuation of one lookup, resumed once: by the lookup's thread or by a cancellation.
    private final class Waiting: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<String?, Never>?, cancelled: Bool)>((nil, false))

        /// Holds `continuation` for the lookup; false (and resumed with nil) when already cancelled.
        func hold(_ continuation: CheckedContinuation<String?, Never>) -> Bool {
            let cancelled = state.withLock { s in
                if !s.cancelled { s.continuation = continuation }
                return s.cancelled
            }
            if cancelled { continuation.resume(returning: nil) }
            return !cancelled
        }

        func resume(_ failure: String?) { state.withLock { $0.continuation.take() }?.resume(returning: failure) }

        func cancel() {
            state.withLock { s in
                s.cancelled = true
                return s.continuation.take()
            }?.resume(returning: nil)
        }
    }

    private static func lookUp(_ name: String) -> String? {
        // Any family and socket type: the question is only whether the name has an address.
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &found)
        if let found { freeaddrinfo(found) }
        return status == 0 ? nil : String(cString: gai_strerror(status))
    }
}
