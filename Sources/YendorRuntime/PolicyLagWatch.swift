/// Watches each worker's policy lag, both ways. Finds the workers most of whose trajectories the
/// learner dropped as too stale over the last minute: such a worker spends its cores and its link
/// and adds almost nothing, and only a per-worker counter said so (trial X: behind a 10 Mbit link,
/// 99% of one worker's samples were dropped while the learner's SPS, which counts them, went up).
/// And those most of whose trajectories were acted with versions newer than the learner's: their
/// weights come from another learner (trial Z: a worker whose weights endpoint reached another
/// run's learner trained this one with that one's policy, and nothing said so).
struct PolicyLagWatch {
    /// A worker is named when at least this share of its trajectories in a window was dropped.
    static let share = 0.5
    /// Seconds a window lasts.
    static let window = 60.0
    /// Trajectories a worker must have sent in a window to be judged (a few stale ones at a
    /// learner's restart say nothing).
    static let least = 8

    /// What `look` reports of a worker.
    struct Finding: Equatable {
        let id: String
        /// Its trajectories in the window, and how many of them were dropped as too stale, and
        /// acted with versions newer than the learner's.
        let trajectories: Int, stale: Int, ahead: Int
        var mostlyStale: Bool { Double(stale) >= PolicyLagWatch.share * Double(trajectories) }
        var mostlyAhead: Bool { Double(ahead) >= PolicyLagWatch.share * Double(trajectories) }
    }

    /// Each member's (trajectories, stale ones, ahead ones) when the window began.
    private var start: [String: (batches: Int, stale: Int, ahead: Int)] = [:]
    private var began: Double?

    /// At the end of each window, the members that had `share` or more of their trajectories in it
    /// dropped as too stale, or acted ahead of the learner; nil between ends.
    mutating func look(at members: [Membership.Member], now: Double) -> [Finding]? {
        guard let began else {
            restart(members, now)
            return nil
        }
        guard now - began >= Self.window else { return nil }
        var named: [Finding] = []
        for m in members {
            let before = start[m.id] ?? (0, 0, 0)
            let found = Finding(id: m.id, trajectories: m.batches - before.batches, stale: m.staleTrajectories - before.stale,
                                ahead: m.aheadTrajectories - before.ahead)
            if found.trajectories >= Self.least && (found.mostlyStale || found.mostlyAhead) { named.append(found) }
        }
        restart(members, now)
        return named
    }

    private mutating func restart(_ members: [Membership.Member], _ now: Double) {
        start = Dictionary(uniqueKeysWithValues: members.map { ($0.id, ($0.batches, $0.staleTrajectories, $0.aheadTrajectories)) })
        began = now
    }
}
