import Foundation

/// Runs blocking work (waiting on processes, on a server that is not up yet) on a thread of its
/// own, off Swift's cooperative pool: on a 2-core node the pool has two threads, and one blocked for
/// seconds would stall the roles sharing it.
public enum OwnThread {
    /// Runs `body` on a new thread and returns (or throws) what it did.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
