import Foundation
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

    /// Why `name` does not resolve, in the system resolver's words; nil when it resolves. The
    /// lookup runs on a thread of its own: a resolver can take seconds to give up, and a blocked
    /// thread of the cooperative pool stops other tasks.
    func resolutionFailure() async -> String? {
        let name = name
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Self.lookUp(name)) }
        }
    }

    private static func lookUp(_ name: String) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &found)
        if let found { freeaddrinfo(found) }
        return status == 0 ? nil : String(cString: gai_strerror(status))
    }
}
