import Foundation

/// Waiting for an event a test cannot be told of (a line in a log file, a metrics record, a
/// process gone): `condition` is polled until it holds. The timeout only guards against a hang; it
/// is never the time the event is expected to take.
public enum Poll {
    /// Polls `condition` every `interval` until it holds; false after `timeout` seconds.
    public static func until(timeout: Double = 600, every interval: Duration = .milliseconds(100),
                             _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }
}
