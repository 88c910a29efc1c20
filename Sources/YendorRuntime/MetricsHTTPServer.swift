import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import YendorSupport

/// The HTTP side of `PrometheusEndpoint`: answers `GET /metrics` on a thread of its own, one
/// response per connection, which it then closes (`Connection: close`; Prometheus' scrapes expect
/// nothing more). Any peer that reaches the port can connect, so what connections hold is bounded
/// and no peer can hold the thread: at most `Limits.connections` are open at once, and one more
/// closes the oldest that has sent no request for `Limits.idleSeconds` (a scrape sends its request
/// with its connection, so idle ones cannot crowd it out for long); each has `Limits.requestSeconds` and `Limits.requestBytes` for
/// its request and `Limits.sendSeconds` to take the whole response, sent without blocking; an
/// accept that fails (the process out of descriptors) is logged and retried, never the end of the
/// role. Trial C: 20,000 idle connections took every descriptor of a learner, whose checkpoints
/// then failed, until the accept error stopped it.
final class MetricsHTTPServer: Sendable {
    struct Limits: Sendable {
        /// Connections open at once.
        var connections = 32
        /// Seconds without a request after which a connection makes way for a new one (at the cap).
        var idleSeconds = 1.0
        /// Seconds a connection has to send its request.
        var requestSeconds = 10.0
        /// The most bytes of a request (line and headers).
        var requestBytes = 8192
        /// Seconds a connection has to take the whole response.
        var sendSeconds = 10.0
    }

    /// Why the port could not be listened on: the kernel's reason and its errno.
    struct BindFailure: Error {
        let code: Int32
        let reason: String
    }

    private let listener: Int32
    private let limits: Limits
    private let body: @Sendable () -> [UInt8]
    private let logger: Logger

    /// Listens on `host:port` (IPv4; port 0: any free one, see `port`); `body` makes each response.
    init(host: String, port: UInt16, limits: Limits = Limits(), logger: Logger, body: @escaping @Sendable () -> [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BindFailure(code: errno, reason: String(cString: strerror(errno))) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw BindFailure(code: EINVAL, reason: "\(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let failure = BindFailure(code: errno, reason: String(cString: strerror(errno)))
            close(fd)
            throw failure
        }
        listener = fd
        self.limits = limits
        self.logger = logger
        self.body = body
    }

    deinit { close(listener) }

    /// The port listened on.
    var port: UInt16 {
        var address = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A connection: reading its request, then writing its response.
    private struct Client {
        let fd: Int32
        let accepted: Double
        var deadline: Double
        var request: [UInt8] = []
        /// The response and how much of it has gone; nil while the request is read.
        var response: (bytes: [UInt8], sent: Int)?
    }

    /// Connections closed unanswered since they were last said, by why.
    private struct Closed {
        var timedOut = 0, evicted = 0
        var isEmpty: Bool { timedOut == 0 && evicted == 0 }
    }

    /// Serves until `stop` is set (checked every 100 ms); blocks the calling thread.
    func serve(until stop: StopFlag) {
        var clients: [Client] = []
        var throttle = LogThrottle(interval: 60)
        var acceptPausedUntil = 0.0, closed = Closed()
        defer {
            for c in clients { close(c.fd) }
            say(closed)
        }
        // At the cap, the oldest connection still without a request once it has had `idleSeconds`.
        func evictable(_ now: Double) -> Int? {
            guard let oldest = clients.firstIndex(where: { $0.response == nil }), now - clients[oldest].accepted >= limits.idleSeconds else { return nil }
            return oldest
        }
        while !stop.isSet {
            var now = MonotonicClock.seconds
            // Full with none to close: new connections wait in the backlog (the listener, ready,
            // would wake every poll at once).
            let accepting = now >= acceptPausedUntil && (clients.count < limits.connections || evictable(now) != nil)
            var polled = clients.map { pollfd(fd: $0.fd, events: Int16($0.response == nil ? POLLIN : POLLOUT), revents: 0) }
            if accepting { polled.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&polled, nfds_t(polled.count), 100)
            now = MonotonicClock.seconds
            var open: [Client] = []
            for (k, var client) in clients.enumerated() {
                let ready = polled[k].revents != 0
                if client.response == nil {
                    if ready, !read(into: &client) { continue }
                    if let end = Self.headerEnd(client.request) {
                        client.response = (respond(to: client.request[..<end]), 0)
                        client.deadline = now + limits.sendSeconds
                    } else if client.request.count >= limits.requestBytes {
                        client.response = (Self.response(431, "Request Header Fields Too Large", body: []), 0)
                        client.deadline = now + limits.sendSeconds
                    }
                }
                if client.response != nil, ready || client.response?.sent == 0, !write(&client) { continue }
                if now >= client.deadline {
                    close(client.fd)
                    closed.timedOut += 1
                    continue
                }
                open.append(client)
            }
            clients = open
            if !closed.isEmpty, throttle.shouldLog("closed", now: now) != nil {
                say(closed)
                closed = Closed()
            }
            guard accepting, polled.last?.revents ?? 0 != 0 else { continue }
            // Waiting connections are taken while there is room or an idle one to close for them.
            while clients.count < limits.connections || evictable(now) != nil {
                let fd = Self.acceptConnection(listener)
                if fd >= 0 {
                    if clients.count >= limits.connections, let oldest = evictable(now) {
                        close(clients.remove(at: oldest).fd)
                        closed.evicted += 1
                    }
                    clients.append(Client(fd: fd, accepted: now, deadline: now + limits.requestSeconds))
                    continue
                }
                let code = errno
                if code == EINTR || code == ECONNABORTED { continue }
                if code != EAGAIN && code != EWOULDBLOCK {
                    // Out of descriptors or memory: new connections wait in the backlog meanwhile.
                    acceptPausedUntil = now + 0.5
                    if let suppressed = throttle.shouldLog("accept", now: now) {
                        logger.warning("/metrics could not take a connection: \(String(cString: strerror(code)))\(suppressed > 0 ? " (\(suppressed) more times)" : ""); retrying")
                    }
                }
                break
            }
        }
    }

    private func say(_ closed: Closed) {
        guard !closed.isEmpty else { return }
        let why = [closed.timedOut > 0 ? "\(closed.timedOut) that sent no request or took no answer in time" : nil,
                   closed.evicted > 0 ? "\(closed.evicted) without a request for \(limits.idleSeconds) s when \(limits.connections) were open" : nil]
        logger.notice("closed connections to /metrics unanswered: \(why.compactMap { $0 }.joined(separator: ", "))")
    }

    /// `accept4` with non-blocking and close-on-exec set at once (a process spawned meanwhile does
    /// not inherit the connection), looked up because Glibc's module map leaves it out.
    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    private static let accept4: Accept4? = dlsym(nil, "accept4").map { unsafeBitCast($0, to: Accept4.self) }

    private static func acceptConnection(_ listener: Int32) -> Int32 {
        if let accept4 { return accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)) }
        let fd = accept(listener, nil, nil)
        if fd >= 0 {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return fd
    }

    /// Reads what the client sent; false once it closed or failed (its descriptor closed).
    private func read(into client: inout Client) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 2048)
        let room = min(chunk.count, limits.requestBytes - client.request.count)
        let n = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, room, 0) }
        if n > 0 {
            client.request += chunk[..<n]
            return true
        }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return true }
        close(client.fd)
        return false
    }

    /// Sends what the socket takes now; false once the response is sent or the client failed (its
    /// descriptor closed).
    private func write(_ client: inout Client) -> Bool {
        guard let (bytes, sent) = client.response else { return true }
        let n = bytes[sent...].withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 { client.response = (bytes, sent + n) }
        if n > 0 && sent + n < bytes.count { return true }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return true }
        close(client.fd)
        return false
    }

    /// The index just past the blank line that ends a request's headers (CRLF, or bare LF).
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for i in 1..<bytes.count where bytes[i] == 10 {
            if bytes[i - 1] == 10 || (i >= 3 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13) { return i + 1 }
        }
        return nil
    }

    private func respond(to request: ArraySlice<UInt8>) -> [UInt8] {
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let path = line.count > 1 ? line[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? "" : ""
        return switch (line.first, path) {
        case ("GET"?, "/metrics"): Self.response(200, "OK", body: body())
        case ("GET"?, _): Self.response(404, "Not Found", body: Array("only /metrics is served here\n".utf8))
        default: Self.response(405, "Method Not Allowed", body: [])
        }
    }

    static func response(_ status: Int, _ reason: String, body: [UInt8]) -> [UInt8] {
        Array(("HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
               + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8) + body
    }
}
