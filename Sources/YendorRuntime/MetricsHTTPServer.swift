import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import YendorSupport

/// The HTTP side of `PrometheusEndpoint`: answers `GET /metrics` on a thread of its own, one
/// response per connection, which it then closes (`Connection: close`, as Prometheus' scrapes
/// expect nothing more). Any peer that reaches the port can connect, so what connections can hold
/// is bounded: at most `Limits.connections` open at once (more wait in the kernel's backlog), each
/// given `Limits.requestSeconds` and `Limits.requestBytes` for its request; an accept that fails
/// (the process out of descriptors) is logged and retried, never the end of the role. Trial C:
/// 20,000 idle connections took every descriptor of a learner, whose checkpoints then failed,
/// until the accept error stopped it.
final class MetricsHTTPServer: Sendable {
    struct Limits: Sendable {
        /// Connections served at once.
        var connections = 32
        /// Seconds a connection has to send its request.
        var requestSeconds = 10.0
        /// The most bytes of a request (line and headers).
        var requestBytes = 8192
        /// Seconds to wait for a slow reader to take the response.
        var sendSeconds = 5.0
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

    /// A connection waiting for its request.
    private struct Client {
        let fd: Int32
        let deadline: Double
        var request: [UInt8] = []
    }

    /// Serves until `stop` is set (checked every 100 ms); blocks the calling thread.
    func serve(until stop: StopFlag) {
        var clients: [Client] = []
        var throttle = LogThrottle(interval: 60)
        var acceptPausedUntil = 0.0, timedOut = 0
        defer { for c in clients { close(c.fd) } }
        while !stop.isSet {
            var now = MonotonicClock.seconds
            let accepting = clients.count < limits.connections && now >= acceptPausedUntil
            var polled = clients.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            if accepting { polled.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&polled, nfds_t(polled.count), 100)
            now = MonotonicClock.seconds
            var open: [Client] = []
            for (k, var client) in clients.enumerated() {
                if polled[k].revents != 0, !read(into: &client) { continue }
                if let end = Self.headerEnd(client.request) {
                    respond(to: client.fd, request: client.request[..<end])
                } else if client.request.count >= limits.requestBytes {
                    send(Self.response(431, "Request Header Fields Too Large", body: []), to: client.fd)
                } else if now >= client.deadline {
                    close(client.fd)
                    timedOut += 1
                } else {
                    open.append(client)
                }
            }
            clients = open
            if timedOut > 0, throttle.shouldLog("timeout", now: now) != nil {
                logger.notice("closed \(timedOut) connection\(timedOut == 1 ? "" : "s") to /metrics that sent no request within \(limits.requestSeconds) s")
                timedOut = 0
            }
            guard accepting, polled.last?.revents ?? 0 != 0 else { continue }
            while clients.count < limits.connections {
                let fd = accept(listener, nil, nil)
                if fd >= 0 {
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    clients.append(Client(fd: fd, deadline: now + limits.requestSeconds))
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

    /// The index just past the blank line that ends a request's headers.
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count where bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13 { return i + 1 }
        return nil
    }

    private func respond(to fd: Int32, request: ArraySlice<UInt8>) {
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let path = line.count > 1 ? line[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? "" : ""
        let response = switch (line.first, path) {
        case ("GET"?, "/metrics"): Self.response(200, "OK", body: body())
        case ("GET"?, _): Self.response(404, "Not Found", body: Array("only /metrics is served here\n".utf8))
        default: Self.response(405, "Method Not Allowed", body: [])
        }
        send(response, to: fd)
    }

    static func response(_ status: Int, _ reason: String, body: [UInt8]) -> [UInt8] {
        Array(("HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
               + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8) + body
    }

    /// Sends `bytes` and closes: blocking, for at most `sendSeconds` (a reader that takes nothing
    /// holds this thread no longer).
    private func send(_ bytes: [UInt8], to fd: Int32) {
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var limit = timeval(tv_sec: Int(limits.sendSeconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}
