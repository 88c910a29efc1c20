import YendorWire

/// A worker's side of its connection to the learner: what `WorkerService` talks to.
/// `ZeroMQWorkerLink` (YendorRuntime) carries it across processes; `InMemoryNetwork` in one process.
public protocol WorkerLink: Sendable {
    /// Sends a trajectory, waiting while the outbox is full (backpressure).
    func send(_ batch: TrajectoryBatch) async throws
    /// Sends a control message (a Hello) at once, on its own path so it never queues behind
    /// trajectories; false when it cannot be taken now (no learner, or a full queue).
    func trySendControl(_ message: WireMessage) async -> Bool
    /// The next message from the learner (weights, Goodbyes, heartbeats); nil once closed.
    func receive() async -> Received?
    /// Trajectories waiting to leave.
    var outboxDepth: Int { get }
    /// Trajectories the outbox holds before `send` waits (backpressure).
    var outboxCapacity: Int { get }
    /// Opens a fresh control connection (Hellos) to a learner that went silent and, with
    /// `trajectories`, a fresh trajectory connection too, dropping what was queued for the old one:
    /// only when the learner cannot take them anyway (it came back as a new process, or moved
    /// on past `learner.max_policy_lag` while it was unreachable).
    func reconnect(trajectories: Bool) async
    /// Stops sending, then says `goodbye` unless it is nil. Across processes the trajectories still
    /// queued get up to `flush` to leave first (a worker stopping while its learner listens loses
    /// none); those that have not left by then are dropped and counted in `unsent`. In one process
    /// they stay in the learner's queue, which takes them as the worker's last. `goodbyeSaid`: the
    /// Goodbye was handed over. With `acknowledgedAs` (this process's `id#instance`, when the
    /// trajectories go to a learner, which answers Goodbyes), the Goodbye first goes behind them on
    /// their connection, kept open until the learner's answer says it took them all (`acknowledged`).
    func close(sayingGoodbye goodbye: Goodbye?, flushingWithin flush: Duration,
               acknowledgedAs addressee: String?) async -> (goodbyeSaid: Bool, acknowledged: Bool, unsent: Int)
    /// Whether the learner refused this worker's CURVE key (its allow-list lacks it): a refused
    /// handshake is all a refused client learns, and it looks like a learner that is down otherwise.
    var refusedByAuthentication: Bool { get }
}

extension WorkerLink {
    public var refusedByAuthentication: Bool { false }
}
