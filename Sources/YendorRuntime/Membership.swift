import YendorWire

/// Which workers are alive, from their `Hello`, `Heartbeat` and `Goodbye` messages. Workers may join
/// and leave at any time; the learner never waits for a particular one.
///
/// Silence only counts while the learner could have heard the worker. The learner stops reading its
/// socket while it waits for room in the replay buffer (backpressure), and a worker whose messages
/// wait unread in the learner's own queue is not silent: its Goodbye, queued behind them, must count
/// as leaving, not timing out, however long the updates take. So a member is gone after `timeout`
/// seconds without a message, once the learner has also either
/// - listened for `timeout` seconds (the listening clock, which stops during backpressure), or
/// - read enough messages from others since that one from this worker, had there been one, would
///   have come up: the learner's socket reads its connections in turn (two per worker, trajectories
///   and control; workers not, or no longer, registered count too while they send), then the
///   messages pass through an inbox of `inboxCapacity`. Twice that many reads is the bar, for margin.
public struct Membership: Sendable {
    public struct Member: Sendable, Equatable {
        public let id: String
        public var role: String
        public var capabilities: [String: String]
        /// The `instance` tag of the Hello that made it a member (nil if it sent none). Kept while
        /// it is a member, whatever later Hellos claim, so another process cannot take its place.
        public let instance: String?
        /// When the Hello that made it a member came (`Clock.now`, monotonic, as every time here).
        public var joined: Double
        /// When its last message came.
        public var lastSeen: Double
        public var policyVersion: UInt64
        public var batches: Int
        /// Samples of its trajectories dropped whole as too stale (`learner/samples_dropped_lag`):
        /// a worker whose trajectories arrive staler than others' (few envs under backpressure,
        /// a slow link) has few of its samples trained on, though it sends as many trajectories.
        public var staleSamples = 0
        /// Its trajectories dropped whole as too stale, of `batches`.
        public var staleTrajectories = 0
        /// Its trajectories acted with a policy version newer than the learner's: weights from
        /// another learner (its weights endpoint reaches another run's), or from before a restart.
        public var aheadTrajectories = 0
        /// The listening clock and the count of messages read, at its last message.
        var lastHeard: Double
        var readsAtLastSeen: Int
    }

    /// Seconds of silence after which a member is considered gone.
    public let timeout: Double
    /// Messages the learner's socket holds between libzmq and the receive loop.
    public let inboxCapacity: Int
    public private(set) var members: [String: Member] = [:]
    /// Members that joined, left or timed out since the start (for metrics and tests).
    public private(set) var joins = 0, leaves = 0, timeouts = 0
    /// Hellos ignored because their process had already said Goodbye.
    public private(set) var staleHellos = 0
    /// Each id's last process that said Goodbye, and when. A worker says Goodbye on a connection of
    /// its own, so Hellos it queued earlier on its control connection can arrive after it (ignored:
    /// `instance`, its tag, "" if it sent none), and so can its last trajectories (taken for
    /// `timeout` seconds after `at`; nil once it was evicted). Bounded: the oldest entries go first.
    private var departed: [String: (instance: String, at: Double?)] = [:]
    private var departedOrder: [String] = []
    static let departedCapacity = 4096
    /// Members that timed out, kept so that one heard again rejoins on its next trajectory (it was
    /// admitted, and a new process of it would say Hello first): a worker whose trajectories and
    /// Hellos were held up (behind a replay role that was down, or a stalled process) loses nothing.
    /// Bounded like `departed`.
    private var timedOut: [String: Member] = [:]
    /// Messages read from workers so far.
    public private(set) var reads = 0
    /// When each sender, registered or not, was last heard, for the reads bar.
    private var senders: [String: Double] = [:]
    /// When the learner stopped listening (nil while it listens), and the total of earlier pauses.
    private var pausedSince: Double?
    private var pausedTotal = 0.0

    public init(timeout: Double, inboxCapacity: Int) {
        self.timeout = timeout
        self.inboxCapacity = inboxCapacity
    }

    /// Seconds the learner has spent listening, at time `now`.
    func listeningTime(_ now: Double) -> Double { (pausedSince ?? now) - pausedTotal }

    /// The learner stops reading its socket (backpressure): silence stops counting on the listening clock.
    public mutating func stopListening(now: Double) {
        if pausedSince == nil { pausedSince = now }
    }

    /// The learner reads its socket again.
    public mutating func startListening(now: Double) {
        guard let since = pausedSince else { return }
        pausedTotal += max(now - since, 0)
        pausedSince = nil
    }

    /// Records a Hello. Returns true if the id is new (or had left), so the caller can send it weights.
    @discardableResult
    public mutating func hello(_ h: Hello, now: Double) -> Bool {
        reads += 1
        let caps = Dictionary(h.capabilities.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
        if let instance = caps["instance"], departed[h.id]?.instance == instance {
            staleHellos += 1
            return false
        }
        senders[h.id] = now
        let timedOutMember = timedOut.removeValue(forKey: h.id)
        if var m = members[h.id] {
            m.capabilities = caps
            members[h.id] = heard(m, now: now)
            return false
        }
        // The same process back after it timed out (a network cut that healed) keeps its counts,
        // whether its Hello or a trajectory (`lateAdmission`) comes first: they went back to 0 when
        // the Hello did (trial X).
        if var m = timedOutMember, m.instance == caps["instance"] {
            m.capabilities = caps
            members[h.id] = heard(m, now: now)
            joins += 1
            return true
        }
        members[h.id] = Member(id: h.id, role: h.role, capabilities: caps, instance: caps["instance"], joined: now, lastSeen: now, policyVersion: 0,
                               batches: 0, lastHeard: listeningTime(now), readsAtLastSeen: reads)
        joins += 1
        return true
    }

    /// Records any sign of life. Unknown ids are ignored (they must say Hello first).
    public mutating func seen(_ id: String, now: Double, policyVersion: UInt64? = nil, batch: Bool = false) {
        reads += 1
        senders[id] = now
        guard var m = members[id] else { return }
        if let policyVersion { m.policyVersion = policyVersion }
        if batch { m.batches += 1 }
        members[id] = heard(m, now: now)
    }

    private func heard(_ member: Member, now: Double) -> Member {
        var m = member
        m.lastSeen = now
        m.lastHeard = listeningTime(now)
        m.readsAtLastSeen = reads
        return m
    }

    public func isMember(_ id: String) -> Bool { members[id] != nil }

    /// Removes a member the learner no longer admits (its Hello was refused, or it sent bad
    /// trajectories): not counted as leaving or timing out.
    public mutating func evict(_ id: String) {
        members.removeValue(forKey: id)
        timedOut[id] = nil
        departed[id]?.at = nil
    }

    public mutating func goodbye(_ id: String, now: Double) {
        reads += 1
        senders[id] = nil
        timedOut[id] = nil
        guard let member = members.removeValue(forKey: id) else { return }
        leaves += 1
        if departed.updateValue((member.instance ?? "", now), forKey: id) == nil { departedOrder.append(id) }
        if departedOrder.count > Self.departedCapacity { departed[departedOrder.removeFirst()] = nil }
    }

    /// Members that said Goodbye in the last `timeout` seconds, with their instance tags: the
    /// learner repeats its acknowledgement to them meanwhile (see `LearnerService.heartbeatLoop`).
    public func recentlyDeparted(now: Double) -> [(id: String, instance: String)] {
        departed.compactMap { id, left in
            guard let at = left.at, now - at <= timeout, !left.instance.isEmpty else { return nil }
            return (id, left.instance)
        }.sorted { $0.id < $1.id }
    }

    /// Why a trajectory from a sender that is not a member is still taken.
    public enum LateAdmission: Sendable {
        /// A member that timed out, heard again: it is a member again (counted as a join).
        case rejoined
        /// A member that said Goodbye less than `timeout` seconds ago: one of its last trajectories.
        case leaving
    }

    /// Whether a trajectory from `id`, which is not a member, is still taken (nil: it is not).
    public mutating func lateAdmission(_ id: String, now: Double) -> LateAdmission? {
        if var m = timedOut.removeValue(forKey: id) {
            m.lastSeen = now
            m.lastHeard = listeningTime(now)
            m.readsAtLastSeen = reads
            members[id] = m
            joins += 1
            return .rejoined
        }
        if let left = departed[id]?.at, now - left <= timeout { return .leaving }
        return nil
    }

    /// Removes the members that are gone (see the type's comment); returns their ids.
    public mutating func prune(now: Double) -> [String] {
        let listened = listeningTime(now)
        senders = senders.filter { now - $0.value <= timeout }
        let connections = members.keys.count + senders.keys.filter { members[$0] == nil }.count
        let readsBar = 2 * (inboxCapacity + 2 * connections)
        let gone = members.values.filter { m in
            listened - m.lastHeard > timeout || (now - m.lastSeen > timeout && reads - m.readsAtLastSeen >= readsBar)
        }.map(\.id)
        for id in gone {
            timedOut[id] = members.removeValue(forKey: id)
            if timedOut.count > Self.departedCapacity, let oldest = timedOut.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                timedOut[oldest.id] = nil
            }
        }
        timeouts += gone.count
        return gone.sorted()
    }

    public var count: Int { members.count }
    /// The workers that timed out and have not been heard since (nor said Goodbye), sorted.
    public var timedOutIDs: [String] { timedOut.keys.sorted() }

    /// Counts a member's trajectory acted with a policy version newer than the learner's.
    public mutating func actedAhead(_ id: String) {
        members[id]?.aheadTrajectories += 1
    }

    /// Counts `samples` of a member's trajectory dropped as too stale; nothing for a non-member.
    public mutating func droppedStale(_ id: String, samples: Int) {
        members[id]?.staleSamples += samples
        members[id]?.staleTrajectories += 1
    }
}
