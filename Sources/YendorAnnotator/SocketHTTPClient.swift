import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The `http://` transport: a minimal HTTP/1.1 client on POSIX sockets, one connection per
/// request (`Connection: close`), so a retry is always on a fresh connection and no stale
/// pooled connection can fail a request.
///
/// Written for the annotator because FoundationNetworking's URLSession on Linux does not report
/// about one connection reset in four (the request then waits for its whole timeout; measured
/// with the test stub, Swift 6.3.1) and has no connect timeout. Here every system call is
/// bounded by a deadline: `poll` waits for the connection (connect timeout, which also covers
/// sending the request), then for the response (read timeout from the request sent); a reset
/// or an early close is reported at once. Each request runs on a thread of its own (blocking
/// calls never occupy the cooperative pool); cancelling the calling task wakes it through a
/// pipe, and the request ends with `.cancelled` within milliseconds.
///
/// Name resolution (`getaddrinfo`) is the one step not bounded by the connect timeout; it is
/// instant for IP addresses and /etc/hosts names.
final class SocketHTTPClient: HTTPClient {
    let timeouts: HTTPTimeouts
    let maxResponseBytes: Int

    init(timeouts: HTTPTimeouts, maxResponseBytes: Int) {
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
    }

    func post(url: URL, headers: [(name: String, value: String)], body: Data, freshConnection: Bool) async -> HTTPOutcome {
        guard let target = Target(url) else { return .connectionFailed("not an http URL with a host: \(url.absoluteString)") }
        guard let wakeUp = WakeUp() else { return .connectionFailed("cannot create a pipe: \(Self.errorText(errno))") }
        var head = "POST \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\nAccept: application/json\r\nUser-Agent: yendor-annotator\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + Array(body)
        let timeouts = self.timeouts, limit = maxResponseBytes
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<HTTPOutcome, Never>) in
                let thread = Thread {
                    let outcome = Self.exchange(target: target, request: request, timeouts: timeouts, limit: limit, wakeUp: wakeUp)
                    continuation.resume(returning: outcome)
                }
                thread.name = "yendor-http"
                thread.stackSize = 512 << 10
                thread.start()
            }
        } onCancel: {
            wakeUp.fire()
        }
    }

    // MARK: - The exchange, on its own thread

    /// Host, port and path of an `http://` URL.
    struct Target: Sendable {
        var host: String
        var port: Int
        var path: String
        var hostHeader: String

        init?(_ url: URL) {
            guard url.scheme?.lowercased() == "http", var host = url.host, !host.isEmpty else { return nil }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.host = host
            port = url.port ?? 80
            let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
            let path = components?.percentEncodedPath ?? url.path
            let query = components?.percentEncodedQuery.map { "?" + $0 } ?? ""
            self.path = (path.isEmpty ? "/" : path) + query
            let literal = host.contains(":") ? "[\(host)]" : host
            hostHeader = url.port.map { "\(literal):\($0)" } ?? literal
        }
    }

    private enum Wait {
        case ready
        case timedOut
        case cancelled
    }

    private static func exchange(target: Target, request: [UInt8], timeouts: HTTPTimeouts, limit: Int, wakeUp: WakeUp) -> HTTPOutcome {
        let start = ContinuousClock.now
        let connectDeadline = start + timeouts.connect
        var fd: Int32 = -1
        switch openConnection(to: target, until: connectDeadline, wakeUp: wakeUp) {
        case .success(let socket): fd = socket
        case .failure(let failure):
            if case .timedOut = failure.outcome { return .timedOut(.connect, after: timeouts.connect) }
            return failure.outcome
        }
        defer { close(fd) }

        // Send the request (within the connect deadline: a server that accepts but never reads
        // is as dead as one that never accepts).
        var offset = 0
        while offset < request.count {
            let sent = request.withUnsafeBytes { bytes in
                send(fd, bytes.baseAddress! + offset, request.count - offset, Self.sendFlags)
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            guard sent < 0, code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                return .connectionFailed("sending the request: \(errorText(code))")
            }
            switch wait(fd, for: Int16(POLLOUT), until: connectDeadline, wakeUp: wakeUp) {
            case .ready: continue
            case .timedOut: return .timedOut(.connect, after: timeouts.connect)
            case .cancelled: return .cancelled
            }
        }

        // Read the response.
        let readDeadline = ContinuousClock.now + timeouts.read
        var parser = HTTPResponseParser(maxBodyBytes: limit)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            let progress: HTTPResponseParser.Progress
            if received > 0 {
                progress = parser.feed(buffer[0..<received])
            } else if received == 0 {
                progress = parser.finish()
            } else {
                let code = errno
                guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                    return .connectionFailed("reading the response: \(errorText(code))")
                }
                switch wait(fd, for: Int16(POLLIN), until: readDeadline, wakeUp: wakeUp) {
                case .ready: continue
                case .timedOut: return .timedOut(.read, after: timeouts.read)
                case .cancelled: return .cancelled
                }
            }
            switch progress {
            case .needMore:
                continue
            case .complete(let status, let body, let retryAfter):
                return .response(status: status, body: Data(body), retryAfter: retryAfter)
            case .tooLarge(let bytes):
                return .tooLarge(bytes: bytes)
            case .malformed(let problem):
                return .connectionFailed(problem)
            }
        }
    }

    /// Opens a non-blocking TCP connection to the first address of `target` that accepts.
    #if canImport(Glibc)
    private static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    private static let sendFlags: Int32 = 0  // SO_NOSIGPIPE is set on the socket instead
    #endif

    private static func openConnection(to target: Target, until deadline: ContinuousClock.Instant,
                                       wakeUp: WakeUp) -> Result<Int32, ConnectFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard resolved == 0, let list else {
            return .failure(ConnectFailure(.connectionFailed("cannot resolve \(target.host): \(String(cString: gai_strerror(resolved)))")))
        }
        defer { freeaddrinfo(list) }
        var problem = "no address for \(target.host)"
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let address = next {
            next = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard fd >= 0 else {
                problem = "socket: \(errorText(errno))"
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            #if canImport(Darwin)
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            if connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return .success(fd) }
            let code = errno
            guard code == EINPROGRESS || code == EINTR else {
                problem = "connect to \(target.host):\(target.port): \(errorText(code))"
                close(fd)
                continue
            }
            switch wait(fd, for: Int16(POLLOUT), until: deadline, wakeUp: wakeUp) {
            case .timedOut:
                close(fd)
                return .failure(ConnectFailure(.timedOut(.connect, after: .zero)))
            case .cancelled:
                close(fd)
                return .failure(ConnectFailure(.cancelled))
            case .ready:
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 { return .success(fd) }
                problem = "connect to \(target.host):\(target.port): \(errorText(error))"
                close(fd)
            }
        }
        return .failure(ConnectFailure(.connectionFailed(problem)))
    }

    private struct ConnectFailure: Error {
        var outcome: HTTPOutcome
        init(_ outcome: HTTPOutcome) { self.outcome = outcome }
    }

    /// Waits until `fd` is ready for `events` (or has an error), the deadline passes, or the
    /// wake-up pipe fires.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant, wakeUp: WakeUp) -> Wait {
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return .timedOut }
            let milliseconds = Int32(min(remaining.seconds * 1000 + 1, Double(Int32.max)))
            var fds = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: wakeUp.readEnd, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return .ready  // let the next call on the socket report the error
            }
            // Bytes that have arrived are read before a cancellation is obeyed: an answer the
            // server has sent (and been paid for) is never thrown away.
            if fds[0].revents != 0 { return .ready }
            if fds[1].revents != 0 { return .cancelled }
        }
    }

    static func errorText(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}

/// A pipe that wakes the request's thread from `poll` when the calling task is cancelled.
private final class WakeUp: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32
    private let fired = Atomic<Bool>(false)

    init?() {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    func fire() {
        guard !fired.exchange(true, ordering: .relaxed) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}
