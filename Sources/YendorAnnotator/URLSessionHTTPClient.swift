import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// The `https://` transport: JSON POSTs over Foundation's URLSession (libcurl underneath on
/// Linux), with the deadlines and the cancellation an LLM client needs added on top:
///
/// - a connect timeout: the connection must be open and the request sent within
///   `timeouts.connect` (URLSession on Linux has no connect timeout of its own);
/// - a read timeout: from the request sent, the whole response must arrive within
///   `timeouts.read`;
/// - a response body of at most `maxResponseBytes` (bounded memory);
/// - cancellation: cancelling the calling task cancels the HTTP request at once (its
///   connection is closed) and `post` returns `.cancelled`.
///
/// Every deadline is enforced here, by a timer that cancels the URLSession task. That timer is
/// also what catches FoundationNetworking's faults on Linux: measured here (Swift 6.3.1), about
/// one connection reset in four is never reported and the request waits for its timeout. That
/// is why plain `http://` goes through `SocketHTTPClient` instead, and why over https a reset
/// is noticed only at the read timeout. `freshConnection: true` uses a one-shot session, so the
/// request never reuses a pooled connection.
final class URLSessionHTTPClient: HTTPClient {
    let timeouts: HTTPTimeouts
    let maxResponseBytes: Int
    private let maxConnections: Int
    private let session: URLSession
    private let delegate: SessionDelegate

    init(timeouts: HTTPTimeouts, maxConnections: Int, maxResponseBytes: Int) {
        self.timeouts = timeouts
        self.maxConnections = maxConnections
        self.maxResponseBytes = maxResponseBytes
        (session, delegate) = Self.makeSession(timeouts: timeouts, maxConnections: maxConnections)
    }

    deinit { session.invalidateAndCancel() }

    private static func makeSession(timeouts: HTTPTimeouts, maxConnections: Int) -> (URLSession, SessionDelegate) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maxConnections
        // URLSession's own idle timer only as a backstop: the deadlines here come first.
        configuration.timeoutIntervalForRequest = (timeouts.connect + timeouts.read).seconds + 30
        configuration.timeoutIntervalForResource = (timeouts.connect + timeouts.read).seconds + 60
        let delegate = SessionDelegate()
        return (URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil), delegate)
    }

    func post(url: URL, headers: [(name: String, value: String)], body: Data, freshConnection: Bool) async -> HTTPOutcome {
        let (session, delegate) = freshConnection
            ? Self.makeSession(timeouts: timeouts, maxConnections: 1) : (self.session, self.delegate)
        defer { if freshConnection { session.finishTasksAndInvalidate() } }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        for header in headers { request.setValue(header.value, forHTTPHeaderField: header.name) }
        request.timeoutInterval = session.configuration.timeoutIntervalForRequest
        let task = session.dataTask(with: request)
        let exchange = Exchange(limit: maxResponseBytes)
        delegate.register(task, exchange)
        defer { delegate.remove(task) }
        let start = ContinuousClock.now
        task.resume()
        let outcome = await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.enforceDeadlines(on: exchange, start: start) }
            let outcome = await exchange.wait()
            group.cancelAll()
            return outcome
        }
        if case .response = outcome {} else { task.cancel() }
        return outcome
    }

    /// Finishes the exchange as timed out when the request is not sent within the connect
    /// timeout, or its response not complete within the read timeout after that. Returns early
    /// when cancelled (the exchange finished first).
    private func enforceDeadlines(on exchange: Exchange, start: ContinuousClock.Instant) async {
        let connectDeadline = start + timeouts.connect
        let sent = await withTaskGroup(of: ContinuousClock.Instant?.self) { group in
            group.addTask { await exchange.waitUntilSent() }
            group.addTask {
                try? await Task.sleep(until: connectDeadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? exchange.sentAt
        }
        if Task.isCancelled { return }
        guard let sent else {
            exchange.finish(.timedOut(.connect, after: timeouts.connect))
            return
        }
        guard (try? await Task.sleep(until: sent + timeouts.read, clock: .continuous)) != nil else { return }
        exchange.finish(.timedOut(.read, after: timeouts.read))
    }
}

/// One request's progress and outcome, filled in by the session delegate and the deadline
/// timer; the first outcome wins.
private final class Exchange: Sendable {
    private struct State {
        var sentAt: ContinuousClock.Instant?
        var body = Data()
        var outcome: HTTPOutcome?
        var waiter: CheckedContinuation<HTTPOutcome, Never>?
        var sentWaiter: CheckedContinuation<ContinuousClock.Instant?, Never>?
        var sentWaiterCancelled = false
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    /// When the request was handed to the connection (nil while connecting).
    var sentAt: ContinuousClock.Instant? { state.withLock { $0.sentAt } }

    func markSent() {
        let (waiter, sent): (CheckedContinuation<ContinuousClock.Instant?, Never>?, ContinuousClock.Instant?) = state.withLock { state in
            guard state.sentAt == nil else { return (nil, nil) }
            let now = ContinuousClock.now
            state.sentAt = now
            defer { state.sentWaiter = nil }
            return (state.sentWaiter, now)
        }
        waiter?.resume(returning: sent)
    }

    /// Returns when the request has been sent (its instant), or nil when cancelled first.
    func waitUntilSent() async -> ContinuousClock.Instant? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: ContinuousClock.Instant?? = state.withLock { state in
                    if let sent = state.sentAt { return .some(sent) }
                    if state.sentWaiterCancelled { return .some(nil) }
                    state.sentWaiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.sentWaiterCancelled = true
                defer { state.sentWaiter = nil }
                return state.sentWaiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Appends body bytes; false (and finished as `tooLarge`) past the limit.
    func append(_ data: Data) -> Bool {
        markSent()  // an answer implies the request went out
        let size: Int? = state.withLock { state in
            guard state.body.count + data.count <= limit else { return state.body.count + data.count }
            state.body.append(data)
            return nil
        }
        if let size { finish(.tooLarge(bytes: size)) }
        return size == nil
    }

    var body: Data { state.withLock { $0.body } }

    func finish(_ outcome: HTTPOutcome) {
        let waiter: CheckedContinuation<HTTPOutcome, Never>? = state.withLock { state in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome)
    }

    func wait() async -> HTTPOutcome {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: HTTPOutcome? = state.withLock { state in
                    if let outcome = state.outcome { return outcome }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish(.cancelled)
        }
    }
}

/// Routes URLSession's delegate calls to the exchange of each task.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let exchanges = Mutex<[Int: Exchange]>([:])

    func register(_ task: URLSessionTask, _ exchange: Exchange) {
        exchanges.withLock { $0[task.taskIdentifier] = exchange }
    }

    func remove(_ task: URLSessionTask) {
        _ = exchanges.withLock { $0.removeValue(forKey: task.taskIdentifier) }
    }

    private func exchange(for task: URLSessionTask) -> Exchange? {
        exchanges.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        exchange(for: task)?.markSent()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let exchange = exchange(for: dataTask) else { return }
        if !exchange.append(data) { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let exchange = exchange(for: task) else { return }
        if let error {
            let code = (error as? URLError)?.code
            if code == .cancelled {
                exchange.finish(.cancelled)  // ours: a deadline or a cancellation already finished it
            } else if code == .timedOut {
                exchange.finish(.timedOut(exchange.sentAt == nil ? .connect : .read, after: .zero))
            } else {
                exchange.finish(.connectionFailed(Self.describe(error)))
            }
            return
        }
        guard let response = task.response as? HTTPURLResponse else {
            exchange.finish(.connectionFailed("not an HTTP response"))
            return
        }
        exchange.finish(.response(status: response.statusCode, body: exchange.body,
                                  retryAfter: response.value(forHTTPHeaderField: "Retry-After")))
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? URLError {
            return "\(error.localizedDescription) (URLError \(error.code.rawValue))"
        }
        return "\(error)"
    }
}
