import Synchronization
import YendorSupport
import YendorWire

/// A learner and its workers in one process (`yendor train`): messages travel as values through
/// bounded queues, with no encoding, checksum, decoding or socket thread.
///
/// The queues behave like the sockets they replace. Trajectories wait while the learner's inbox is
/// full (backpressure). Control messages (Hellos, Goodbyes) have their own queue, which the learner
/// reads first, so they never wait behind trajectories; a full one refuses more. Each worker has a
/// queue of what the learner publishes; a worker that does not read loses the oldest messages, never
/// the newest (the latest weights, the final Goodbye).
public final class InMemoryNetwork: Sendable {
    /// Trajectories from the workers (the learner's inbox).
    let trajectories: AsyncBoundedQueue<TrajectoryBatch>
    /// Hellos and Goodbyes from the workers.
    let control: AsyncBoundedQueue<WireMessage>
    /// Rung after every send to either queue, so the learner can wait on both.
    let doorbell = AsyncBoundedQueue<Void>(capacity: 1)
    /// What each worker receives, by subscription number.
    let subscribers = Mutex<[Int: AsyncBoundedQueue<WireMessage>]>([:])
    private let nextSubscriber = Atomic<Int>(0)
    /// Messages a worker's queue holds before the oldest is dropped.
    let publishCapacity: Int

    /// `capacity`: trajectories the learner's inbox holds (`Topology` gives 4 × `transport.queue_capacity`:
    /// here it stands for the PUSH and PULL queues and the sockets' inbox and outbox together).
    public init(capacity: Int, controlCapacity: Int = 16, publishCapacity: Int = 64) {
        trajectories = AsyncBoundedQueue(capacity: capacity)
        control = AsyncBoundedQueue(capacity: controlCapacity)
        self.publishCapacity = publishCapacity
    }

    /// The learner's end.
    public func learnerLink() -> any LearnerLink { LearnerEnd(network: self) }

    /// A new worker's end, subscribed from now on to what the learner publishes.
    public func workerLink() -> any WorkerLink {
        let queue = AsyncBoundedQueue<WireMessage>(capacity: publishCapacity)
        let id = nextSubscriber.add(1, ordering: .relaxed).oldValue
        subscribers.withLock { $0[id] = queue }
        return WorkerEnd(network: self, id: id, inbox: queue)
    }

    /// Puts `message` in `queue`, dropping the oldest message when it is full.
    static func deliver(_ message: WireMessage, to queue: AsyncBoundedQueue<WireMessage>) {
        while !queue.trySend(message) {
            if queue.isClosed || queue.tryReceive() == nil { return }
        }
    }

    struct LearnerEnd: LearnerLink {
        let network: InMemoryNetwork

        func receive() async -> Received? {
            while true {
                if let m = network.control.tryReceive() { return .message(m) }
                if let batch = network.trajectories.tryReceive() { return .trajectory(.value(batch)) }
                if network.trajectories.isClosed { return nil }
                guard await network.doorbell.receive() != nil else { return nil }
            }
        }

        var queuedMessages: Int { network.trajectories.count + network.control.count }

        func publish(_ message: WireMessage) async {
            for queue in network.subscribers.withLock({ Array($0.values) }) { InMemoryNetwork.deliver(message, to: queue) }
        }

        func close(reason: String) async {
            await publish(.goodbye(Goodbye(id: "*", reason: reason)))
            _ = network.trajectories.close()
            _ = network.control.close()
            _ = network.doorbell.close()
        }
    }

    struct WorkerEnd: WorkerLink {
        let network: InMemoryNetwork
        let id: Int
        let inbox: AsyncBoundedQueue<WireMessage>

        func send(_ batch: TrajectoryBatch) async throws {
            guard await network.trajectories.send(batch) else { throw CancellationError() }
            _ = network.doorbell.trySend(())
        }

        func trySendControl(_ message: WireMessage) async -> Bool {
            guard network.control.trySend(message) else { return false }
            _ = network.doorbell.trySend(())
            return true
        }

        func receive() async -> Received? { await inbox.receive().map { .message($0) } }

        var outboxDepth: Int { network.trajectories.count }
        /// The learner's inbox is the worker's outbox here: no socket lies between them.
        var outboxCapacity: Int { network.trajectories.capacity }

        func reconnect(trajectories: Bool) async {}

        func close(sayingGoodbye goodbye: Goodbye?, flushingWithin flush: Duration,
                   acknowledgedAs addressee: String?) async -> (goodbyeSaid: Bool, acknowledged: Bool, unsent: Int) {
            // The Goodbye always gets in: a full control queue holds only stale Hellos, and the
            // oldest makes room for it.
            var said = false
            if let goodbye, !network.control.isClosed {
                InMemoryNetwork.deliver(.goodbye(goodbye), to: network.control)
                _ = network.doorbell.trySend(())
                said = true
            }
            network.subscribers.withLock { _ = $0.removeValue(forKey: id) }
            _ = inbox.close()
            // Nothing to acknowledge: nothing queued here is lost.
            return (said, false, 0)
        }
    }
}
