import Testing
@testable import YendorRuntime

/// Which workers the learner names in its log as adding almost nothing: most of their trajectories
/// in the last minute dropped as too stale (trial X: behind a slow link, 99% of one worker's).
@Suite("Policy lag watch")
struct PolicyLagWatchTests {
    @Test func aWorkerMostOfWhoseTrajectoriesWereTooStaleInAWindowIsNamedOnceAtItsEnd() {
        var members = Membership(timeout: 1000, inboxCapacity: 2)
        var watch = PolicyLagWatch()
        for id in ["near", "far", "quiet"] { _ = members.hello(.init(role: "worker", id: id), now: 0) }
        #expect(watch.look(at: Array(members.members.values), now: 0) == nil, "the first look starts a window")
        // near: 20 trajectories, 2 stale; far: 10, 9 stale; quiet: 4, all stale (too few to judge).
        for (id, sent, stale) in [("near", 20, 2), ("far", 10, 9), ("quiet", 4, 4)] {
            for _ in 0..<sent { members.seen(id, now: 1, batch: true) }
            for _ in 0..<stale { members.droppedStale(id, samples: 64) }
        }
        #expect(watch.look(at: Array(members.members.values), now: 59) == nil, "not before the window ends")
        let named = watch.look(at: Array(members.members.values), now: 60)
        #expect(named?.map(\.id) == ["far"])
        #expect(named?.first?.trajectories == 10 && named?.first?.stale == 9)
        // The next window counts from here: far is fresh now, near is stale.
        for _ in 0..<10 { members.seen("far", now: 61, batch: true) }
        for _ in 0..<10 { members.seen("near", now: 61, batch: true); members.droppedStale("near", samples: 64) }
        #expect(watch.look(at: Array(members.members.values), now: 120)?.map(\.id) == ["near"])
    }

    /// A worker whose weights come from another learner acts with versions this one never had
    /// (trial Z: its weights endpoint reached another run's learner); half of its trajectories in
    /// a window or more name it, and a few at a learner's restart from an older checkpoint do not.
    @Test func aWorkerActingMostlyAheadOfTheLearnersVersionIsNamed() {
        var members = Membership(timeout: 1000, inboxCapacity: 2)
        var watch = PolicyLagWatch()
        for id in ["elsewhere", "restarted"] { _ = members.hello(.init(role: "worker", id: id), now: 0) }
        _ = watch.look(at: Array(members.members.values), now: 0)
        for (id, sent, ahead) in [("elsewhere", 12, 12), ("restarted", 12, 3)] {
            for _ in 0..<sent { members.seen(id, now: 1, batch: true) }
            for _ in 0..<ahead { members.actedAhead(id) }
        }
        let named = watch.look(at: Array(members.members.values), now: 60)
        #expect(named == [.init(id: "elsewhere", trajectories: 12, stale: 0, ahead: 12)])
        #expect(named?.first?.mostlyAhead == true && named?.first?.mostlyStale == false)
    }
}
