import Foundation
import Logging

/// Log lines captured from a swift-log logger (`Logger(label: "test") { _ in lines }`), with a
/// blocking wait (for threads) and an awaitable one (for tasks).
public final class LogLines: LogHandler, @unchecked Sendable {
    private let condition = NSCondition()
    private var captured: [String] = []
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        condition.lock()
        captured.append("\(event.level) \(event.message)")
        condition.broadcast()
        condition.unlock()
    }

    /// Every line so far, each as "LEVEL message".
    public var lines: [String] {
        condition.lock()
        defer { condition.unlock() }
        return captured
    }

    /// Blocks the calling thread until `count` lines satisfy `predicate`.
    public func wait(count: Int = 1, _ predicate: (String) -> Bool) {
        condition.lock()
        while captured.filter(predicate).count < count { condition.wait() }
        condition.unlock()
    }

    /// Polls until a line satisfies `predicate`; false after `timeout` seconds (a hang guard).
    public func waitFor(timeout: Double, _ predicate: (String) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if lines.contains(where: predicate) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
