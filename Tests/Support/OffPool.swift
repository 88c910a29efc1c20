import Foundation
import YendorSupport

/// Runs blocking work (a synchronous socket wait, a child process) on a thread of its own and
/// awaits it, so a test never holds one of the cooperative pool's few threads while it waits.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await OwnThread.run(body)
}
