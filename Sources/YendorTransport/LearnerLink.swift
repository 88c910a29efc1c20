import YendorWire

/// The learner's side of its connection to the workers: what `LearnerService` talks to.
/// `ZeroMQLearnerLink` (YendorRuntime) carries it across processes as bytes on a PULL and a PUB
/// socket; `InMemoryNetwork` carries it in one process as values, through bounded queues.
public protocol LearnerLink: Sendable {
    /// The next message from a worker (trajectories, Hellos, heartbeats, Goodbyes); nil once closed.
    /// While the learner does not call it, senders wait (backpressure).
    func receive() async -> Received?
    /// To every worker: weights, heartbeats, stats, Goodbyes. Never waits on a worker that does not
    /// read: such a worker misses messages, as a ZeroMQ subscriber past its high-water mark does.
    func publish(_ message: WireMessage) async
    /// Messages received and not yet taken by `receive` (a stopping learner takes them first).
    var queuedMessages: Int { get }
    /// Says `Goodbye("*", reason)` to every worker and stops receiving.
    func close(reason: String) async
}
