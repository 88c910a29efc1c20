/// When a worker says Hello to its learner (`WorkerService.helloLoop`), counted in heartbeat ticks.
///
/// Two Hellos per heartbeat timeout keep a worker listed and re-register it with a restarted
/// learner. Under backpressure the queued trajectories already keep it listed, and the learner reads
/// a worker's two connections in turn, one message each: a Hello then waits until a trajectory has
/// left since the last one, so Hellos never pile up ahead of the Goodbye however slowly the learner
/// trains. After a silence the learner has timed the worker out, and what is queued may wait on a
/// connection that TCP retransmits only much later: a Hello then goes at once, however full the
/// outbox, and the next ones on schedule until a trajectory has left (with one Hello alone, the
/// learner timed the worker out again 6 s after it rejoined, trial X3).
struct HelloSchedule {
    /// Ticks between Hellos.
    let every: Int
    private var tick = 0, next: Int
    /// Trajectories sent when the last Hello was said.
    private var sentAtLastHello: Int
    private var dueNow = false
    /// Trajectories sent when the learner was heard again after a silence.
    private var sentAtReturn: Int?

    init(every: Int, sent: Int) {
        self.every = max(1, every)
        next = self.every
        sentAtLastHello = sent
    }

    /// Whether a Hello should go at this tick, with the outbox `full` and `sent` trajectories sent so far.
    func wantsHello(outboxFull full: Bool, sent: Int) -> Bool {
        dueNow || (tick >= next && (!full || sent != sentAtLastHello || sent == sentAtReturn))
    }

    /// A Hello went.
    mutating func said(sent: Int) {
        next = tick + every
        sentAtLastHello = sent
        dueNow = false
    }

    /// The learner is heard again after a silence longer than the peer timeout, with `sent`
    /// trajectories sent so far: a Hello is due now, and more on schedule until one more has left.
    mutating func learnerCameBack(sent: Int) {
        dueNow = true
        sentAtReturn = sent
    }

    /// A Hello re-admitted this worker to a learner that came back as a new process.
    mutating func readmitted() { next = tick + every }

    /// One heartbeat interval passed.
    mutating func advance() { tick += 1 }
}
