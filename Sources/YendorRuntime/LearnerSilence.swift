/// Whether the learner has gone silent, for a worker's or a replay role's log: silence counts from the
/// later of the last word heard from the learner and the start of listening (a worker's first Hello,
/// a replay role's start), and each change is said once. A learner started after its
/// worker was not silent before it: counted from the worker's start, the worker said "no word from
/// the learner" as it connected, renewed the connection that had just carried its first Hello, and
/// then said "learner is back" of a learner it had never heard (trial T).
struct LearnerSilence {
    /// Seconds of silence after which the learner counts as gone (`transport.peerTimeout`).
    let timeout: Double
    /// When listening began (a worker's first Hello, a replay role's start).
    let connectedAt: Double
    /// Whether the silence has been said (and the learner not heard since).
    private(set) var isSaid = false

    /// What changed at a check.
    enum Change: Equatable {
        /// Silent for longer than the timeout, for this many seconds.
        case wentSilent(seconds: Double)
        /// Heard again after its silence was said.
        case cameBack
    }

    init(timeout: Double, connectedAt: Double) {
        self.timeout = timeout
        self.connectedAt = connectedAt
    }

    /// Seconds the learner has been silent at `now`, given when it was last heard.
    func seconds(now: Double, lastHeard: Double) -> Double { now - max(connectedAt, lastHeard) }

    /// Whether it is heard within the timeout at `now`.
    func isHeard(now: Double, lastHeard: Double) -> Bool { seconds(now: now, lastHeard: lastHeard) <= timeout }

    /// The change to say at `now`, if any; each is said once until the other comes.
    mutating func check(now: Double, lastHeard: Double) -> Change? {
        let silent = seconds(now: now, lastHeard: lastHeard)
        if silent > timeout && !isSaid {
            isSaid = true
            return .wentSilent(seconds: silent)
        }
        if silent <= timeout && isSaid {
            isSaid = false
            return .cameBack
        }
        return nil
    }
}
