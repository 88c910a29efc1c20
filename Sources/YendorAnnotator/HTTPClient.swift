import Foundation

/// How the OpenAI labeler sends one JSON POST: `SocketHTTPClient` for `http://`,
/// `URLSessionHTTPClient` for `https://`. Implementations never throw and never outlive their
/// deadlines; cancelling the calling task ends the request at once with `.cancelled`.
protocol HTTPClient: Sendable {
    /// Sends one POST and waits for its outcome. `freshConnection`: never reuse a pooled
    /// connection (after a connection broke).
    func post(url: URL, headers: [(name: String, value: String)], body: Data, freshConnection: Bool) async -> HTTPOutcome
}

/// The two deadlines of one request.
struct HTTPTimeouts: Sendable, Hashable {
    /// Open the connection and send the request.
    var connect: Duration
    /// From the request sent to the whole response received.
    var read: Duration
}

/// Which deadline passed.
enum HTTPPhase: String, Sendable {
    case connect
    case read
}

/// What became of one request.
enum HTTPOutcome: Sendable {
    /// A complete HTTP response (any status).
    case response(status: Int, body: Data, retryAfter: String?)
    /// The connection was refused or reset, closed before the response was complete, or
    /// carried something that is not HTTP.
    case connectionFailed(String)
    /// A deadline passed; the request was abandoned and its connection closed.
    case timedOut(HTTPPhase, after: Duration)
    /// The body grew over the size limit; the request was abandoned.
    case tooLarge(bytes: Int)
    /// The calling task was cancelled.
    case cancelled
}
