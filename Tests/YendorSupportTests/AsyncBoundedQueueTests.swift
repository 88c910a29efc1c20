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
        let completed = Atomic<Int>(0), started = Atomic<Bool>(false)
        let stress = Task.detached {
            started.store(true, ordering: .relaxed)
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
        // Stuck means no round finished for fifteen minutes once the stress began (a loaded machine is
        // slow, not stuck: other suites' synchronous work, finite differences and NLE games in a debug
        // build, can hold both pool threads for minutes; in CI on 2026-12-07 no test at all finished
        // between 156 s and the 300 s this window was then, and not one round had finished).
        let watchdog = Thread {
            var seen = -1, lastProgress = Date()
            while !finished.load(ordering: .relaxed) && Date().timeIntervalSince(lastProgress) < 900 {
                let now = completed.load(ordering: .relaxed)
                if now != seen || !started.load(ordering: .relaxed) { seen = now; lastProgress = Date() }
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
