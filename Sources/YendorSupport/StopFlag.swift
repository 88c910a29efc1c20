import Foundation
import Synchronization

/// A one-way stop signal that any thread can raise; one made `following` another is also raised
/// when that one is, without raising it.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let parent: StopFlag?
    public init() { parent = nil }
    public init(following parent: StopFlag) { self.parent = parent }
    public func set() { flag.store(true, ordering: .relaxed) }
    public var isSet: Bool { flag.load(ordering: .relaxed) || parent?.isSet == true }

    /// Sleeps for `duration`, or throws `CancellationError` as soon as the flag is raised or the task
    /// is cancelled (checked every 50 ms).
    public func sleep(for duration: Duration) throws {
        let clock = ContinuousClock(), end = clock.now + duration
        while clock.now < end {
            if isSet || Task.isCancelled { throw CancellationError() }
            Thread.sleep(forTimeInterval: min(0.05, (end - clock.now).seconds))
        }
    }
}
