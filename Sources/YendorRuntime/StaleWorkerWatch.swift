/// Finds the workers most of whose trajectories the learner dropped as too stale over the last
/// minute: such a worker spends its cores and its link and adds almost nothing, and only a per-worker
/// counter said so (trial X: behind a 10 Mbit link, 99% of one worker's samples were dropped while
/// the learner's SPS, which counts them, went up).
struct StaleWorkerWatch {
    /// A worker is named when at least this share of its trajectories in a window was dropped.
    static let share = 0.5
    /// Seconds a window lasts.
    static let window = 60.0
    /// Trajectories a worker must have sent in a window to be judged (a few stale ones at a
    /// learner's restart say nothing).
    static let least = 8

    /// Each member's (trajectories, stale ones) when the window began.
    private var start: [String: (batches: Int, stale: Int)] = [:]
    private var began: Double?

    /// At the end of each window, the members that had `share` or more of their trajectories dropped
    /// in it, with their counts; nil between ends.
    mutating func look(at members: [Membership.Member], now: Double) -> [(id: String, trajectories: Int, stale: Int)]? {
        guard let began else {
            restart(members, now)
            return nil
        }
        guard now - began >= Self.window else { return nil }
        var named: [(id: String, trajectories: Int, stale: Int)] = []
        for m in members {
            let before = start[m.id] ?? (0, 0)
            let trajectories = m.batches - before.batches, stale = m.staleTrajectories - before.stale
            if trajectories >= Self.least && Double(stale) >= Self.share * Double(trajectories) {
                named.append((m.id, trajectories, stale))
            }
        }
        restart(members, now)
        return named
    }

    private mutating func restart(_ members: [Membership.Member], _ now: Double) {
        start = Dictionary(uniqueKeysWithValues: members.map { ($0.id, ($0.batches, $0.staleTrajectories)) })
        began = now
    }
}
