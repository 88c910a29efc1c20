import Foundation
import Synchronization
import Testing
@testable import YendorSupport

@Suite("Bounded queue")
struct AsyncBoundedQueueTests {
    /// A socket thread's `trySend` racing a task group's `cancelAll` once deadlocked a worker on
    /// SIGTERM: the queue resumed the waiting receiver while holding its lock, and cancellation ran
    /// the receiver's handler (which takes that lock) while holding the task's. Thousands of such
    /// races must all finish.
    @Test func aThreadSendingWhileTheWaitingReceiverIsCancelledNeverDeadlocks() async {
        let rounds = 20_000
        let completed = Atomic<Int>(0)
        let stress = Task.detached {
            for _ in 0..<rounds {
                let queue = AsyncBoundedQueue<Int>(capacity: 1)
                let receiver = Task { await queue.receive() }
                // Race only once the receiver waits: that is when trySend resumes it.
                while queue.waiting.receivers == 0 { await Task.yield() }
                let sender = Task.detached { _ = queue.trySend(1) }
                receiver.cancel()
                _ = await receiver.value
                _ = await sender.value
                // A sender waiting for room, released by a receiver on another thread while cancelled.
                let full = AsyncBoundedQueue<Int>(capacity: 1)
                _ = full.trySend(0)
                let waitingSender = Task { await full.send(1) }
                while full.waiting.senders == 0 { await Task.yield() }
                let taker = Task.detached { _ = full.tryReceive() }
                waitingSender.cancel()
                _ = await waitingSender.value
                _ = await taker.value
                completed.add(1, ordering: .relaxed)
            }
        }
        // A deadlock would also stall every thread of the cooperative pool (2 here), so nothing
        // async could notice it: a plain thread ends the test process with a clear message instead.
        let finished = Atomic<Bool>(false)
        // Stuck means no round finished for five minutes (a loaded machine is slow, not stuck; other
        // suites may keep both pool threads busy for a while).
        let watchdog = Thread {
            var seen = -1, lastProgress = Date()
            while !finished.load(ordering: .relaxed) && Date().timeIntervalSince(lastProgress) < 300 {
                let now = completed.load(ordering: .relaxed)
                if now != seen { seen = now; lastProgress = Date() }
                Thread.sleep(forTimeInterval: 0.1)
            }
            if !finished.load(ordering: .relaxed) {
                FileHandle.standardError.write(Data("AsyncBoundedQueueTests: deadlock, stuck after \(completed.load(ordering: .relaxed)) of \(rounds) rounds\n".utf8))
                exit(1)
            }
        }
        watchdog.start()
        await stress.value
        finished.store(true, ordering: .relaxed)
        #expect(completed.load(ordering: .relaxed) == rounds)
    }
}
