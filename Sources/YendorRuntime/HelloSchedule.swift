/// When a worker says Hello to its learner (`WorkerService.helloLoop`), counted in heartbeat ticks.
///
/// Two Hellos per heartbeat timeout keep a worker listed and re-register it with a restarted
/// learner. Under backpressure the queued trajectories already keep it listed, and the learner reads
/// a worker's two connections in turn, one message each: a Hello then waits until a trajectory has
/// left since the last one, so Hellos never pile up ahead of the Goodbye however slowly the learner
/// trains. After a silence the learner has timed the worker out, and what is queued may wait on a
/// connection that TCP retransmits only much later: the first Hello then goes at once, however full
/// the outbox.
struct HelloSchedule {
    /// Ticks between Hellos.
    let every: Int
    private var tick = 0, next: Int
    /// Trajectories sent when the last Hello was said.
    private var sentAtLastHello: Int
    private var dueNow = false

    init(every: Int, sent: Int) {
        self.every = max(1, every)
        next = self.every
        sentAtLastHello = sent
    }

    /// Whether a Hello should go at this tick, with the outbox `full` and `sent` trajectories sent so far.
    func wantsHello(outboxFull full: Bool, sent: Int) -> Bool {
        dueNow || (tick >= next && (!full || sent != sentAtLastHello))
    }

    /// A Hello went.
    mutating func said(sent: Int) {
        next = tick + every
        sentAtLastHello = sent
        dueNow = false
    }

    /// The learner is heard again after a silence longer than the peer timeout: a Hello is due now.
    mutating func learnerCameBack() { dueNow = true }

    /// A Hello re-admitted this worker to a learner that came back as a new process.
    mutating func readmitted() { next = tick + every }

    /// One heartbeat interval passed.
    mutating func advance() { tick += 1 }
}
