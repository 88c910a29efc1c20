import Foundation
import YendorReplay
import YendorWire

/// The replay buffer as an awaitable store shared by a role's loops. Inserts wait while the buffer
/// refuses (full with the `block` policy, or held back by the samples-per-insert rate limiter);
/// samples wait until the limiter allows them. That waiting is the backpressure that reaches the
/// sockets and, through ZeroMQ's high-water marks, the workers.
actor ReplayStore {
    private var buffer: ReplayBuffer
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var closed = false
    /// `close` was called: new inserts are refused; with `lettingInsertsIn`, the store closes only
    /// once the inserts that wait are in (sampling goes on meanwhile to make room).
    private var closing = false, lettingInsertsIn = false
    private var insertsWaiting = 0

    init(buffer: ReplayBuffer) { self.buffer = buffer }

    var count: Int { buffer.count }
    /// Inserts waiting for room now.
    var waitingInserts: Int { insertsWaiting }
    var statistics: ReplayStatistics { buffer.statistics }

    /// Inserts, waiting while refused. False once the store is closing or closed (the batch was not kept).
    func insert(_ trajectory: ReceivedTrajectory) async throws -> Bool {
        guard !closing && !closed else { return false }
        insertsWaiting += 1
        defer {
            insertsWaiting -= 1
            closeIfDone()
        }
        while !closed && !Task.isCancelled {
            switch try buffer.insert(trajectory) {
            case .inserted, .insertedAfterEvicting:
                wakeAll()
                return true
            case .refused(.largerThanCapacity):
                throw ConfigurationError(field: "replay.capacity", problem: "a trajectory of \(trajectory.sampleCount) steps is larger than the buffer")
            case .refused:
                await waitForChange()
            }
        }
        return false
    }

    /// Samples `count` items, waiting until the buffer and rate limiter allow it; nil once closed.
    func sample(count: Int) async -> [SampledItem]? {
        while !closed && !Task.isCancelled {
            if buffer.canSample(count: count) {
                let items = buffer.sample(count: count)
                if !items.isEmpty {
                    wakeAll()
                    return items
                }
            }
            await waitForChange()
        }
        return nil
    }

    /// Wakes every waiter; they return nil/false. Buffered items stay (for the checkpoint).
    /// `afterWaitingInserts`: an insert that waits gets in first, sampling going on to make room
    /// (the learner's shutdown: the trajectory was received, and is then in the checkpoint).
    func close(afterWaitingInserts: Bool = false) {
        // A close that does not wait overrides one that did (the role ending for another reason).
        lettingInsertsIn = afterWaitingInserts && (!closing || lettingInsertsIn)
        closing = true
        closeIfDone()
    }

    private func closeIfDone() {
        guard closing, !closed, !lettingInsertsIn || insertsWaiting == 0 else { return }
        closed = true
        wakeAll()
    }

    func write(to url: URL) throws { try buffer.write(to: url) }

    /// Puts back sampled items that were never sent (the role stopped first), so the checkpoint
    /// keeps them; an item still in the buffer (sampled fewer times than its limit) stays once.
    func putBack(_ items: [SampledItem]) {
        putBack(items.filter { !buffer.contains(key: $0.key) }.map(\.trajectory))
    }

    /// Puts back trajectories taken out and not used (the learner's batch in the making when it
    /// stopped), whether or not the store is closed.
    func putBack(_ trajectories: [ReceivedTrajectory]) {
        for t in trajectories { _ = try? buffer.insert(t) }
    }

    /// Suspends until the next insert, sample or close. A cancelled task is woken at once.
    private func waitForChange() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume() } else { waiters.append(continuation) }
            }
        } onCancel: {
            Task { await self.wakeAll() }
        }
    }

    private func wakeAll() {
        let w = waiters
        waiters.removeAll()
        for c in w { c.resume() }
    }
}
