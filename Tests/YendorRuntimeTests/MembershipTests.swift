import Testing
import YendorRuntime

/// Which workers the learner counts as alive, with hand-set clocks.
@Suite("Membership")
struct MembershipTests {
    @Test func membershipTracksJoinsLeavesAndTimeouts() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        let first = m.hello(.init(role: "worker", id: "a"), now: 0)
        let again = m.hello(.init(role: "worker", id: "a"), now: 1)
        let second = m.hello(.init(role: "worker", id: "b"), now: 1)
        #expect(first && !again && second)
        m.seen("b", now: 2.5)
        let pruned = m.prune(now: 3.5)
        #expect(pruned == ["a"])
        m.goodbye("b", now: 0)
        #expect(m.count == 0 && m.joins == 2 && m.leaves == 1 && m.timeouts == 1)
    }

    /// A worker timed out by a network cut comes back with its counts, whether its Hello or a
    /// trajectory is read first; another process under its id starts from nothing.
    @Test func aMemberThatTimedOutKeepsItsCountsWhenItsProcessSaysHelloAgain() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        let one: [(key: String, value: String)] = [("instance", "p1")], two: [(key: String, value: String)] = [("instance", "p2")]
        _ = m.hello(.init(role: "worker", id: "a", capabilities: one), now: 0)
        for _ in 0..<5 { m.seen("a", now: 1, batch: true) }
        m.droppedStale("a", samples: 64)
        let first = m.prune(now: 10)
        let back = m.hello(.init(role: "worker", id: "a", capabilities: one), now: 11)
        #expect(first == ["a"])
        #expect(back, "a member again: it gets weights")
        #expect(m.members["a"]?.batches == 5 && m.members["a"]?.staleSamples == 64 && m.members["a"]?.staleTrajectories == 1)
        #expect(m.joins == 2 && m.timeouts == 1)
        let second = m.prune(now: 20)
        let other = m.hello(.init(role: "worker", id: "a", capabilities: two), now: 21)
        #expect(second == ["a"] && other)
        #expect(m.members["a"]?.batches == 0 && m.members["a"]?.instance == "p2", "another process starts afresh")
    }

    /// A worker that timed out has not left: a finished learner tells it until it is heard (a stalled
    /// process told nothing waited for ever, trial T). Its Goodbye, or its return, ends that.
    @Test func aWorkerThatTimedOutIsKnownAsSuchUntilItSaysGoodbyeOrComesBack() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        for id in ["a", "b", "c"] { _ = m.hello(.init(role: "worker", id: id), now: 0) }
        m.seen("c", now: 2.5)
        #expect(m.prune(now: 3.5) == ["a", "b"])
        #expect(m.timedOutIDs == ["a", "b"] && m.count == 1)
        m.goodbye("a", now: 4)
        #expect(m.timedOutIDs == ["b"], "its Goodbye: it left")
        _ = m.lateAdmission("b", now: 5)
        #expect(m.timedOutIDs == [] && m.isMember("b"), "its trajectory: a member again")
    }

    @Test func aHelloFromAProcessThatSaidGoodbyeIsIgnoredButANewProcessRejoins() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        let one: [(key: String, value: String)] = [("instance", "p1")], two: [(key: String, value: String)] = [("instance", "p2")]
        let joined = m.hello(.init(role: "worker", id: "a", capabilities: one), now: 0)
        m.goodbye("a", now: 0)
        // A Hello the process queued before its Goodbye, read after it: not a new member.
        let stale = m.hello(.init(role: "worker", id: "a", capabilities: one), now: 1)
        #expect(joined && !stale)
        #expect(!m.isMember("a") && m.staleHellos == 1 && m.joins == 1 && m.leaves == 1)
        // The same id from a restarted process joins again.
        let restarted = m.hello(.init(role: "worker", id: "a", capabilities: two), now: 2)
        #expect(restarted && m.isMember("a") && m.joins == 2)
        // A process without an instance tag is never taken for a departed one.
        m.hello(.init(role: "worker", id: "b"), now: 2)
        m.goodbye("b", now: 0)
        let untagged = m.hello(.init(role: "worker", id: "b"), now: 3)
        #expect(untagged)
    }

    /// A member's trajectories can arrive after it timed out (held behind a replay role that was
    /// down) or after its Goodbye (which travels on a connection of its own): they are taken, not
    /// dropped as from a stranger; an evicted worker's are not.
    @Test func aTimedOutMemberRejoinsOnItsNextTrajectoryAndOneThatLeftHasItsLastOnesTaken() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        m.hello(.init(role: "worker", id: "a"), now: 0)
        m.hello(.init(role: "worker", id: "b"), now: 0)
        #expect(m.prune(now: 3) == ["a", "b"])
        #expect(m.lateAdmission("a", now: 10) == .rejoined)
        #expect(m.isMember("a") && m.joins == 3)
        m.goodbye("a", now: 11)
        #expect(m.lateAdmission("a", now: 12) == .leaving)
        #expect(!m.isMember("a"))
        #expect(m.lateAdmission("a", now: 13.5) == nil, "only for a heartbeat timeout after the Goodbye")
        #expect(m.lateAdmission("stranger", now: 1) == nil)
        m.evict("b")
        #expect(m.lateAdmission("b", now: 14) == nil)
    }

    /// The learner repeats a Goodbye's acknowledgement to the process that said it for a timeout
    /// after it; not to a member without an instance tag (its acknowledgement has no addressee) nor
    /// to one evicted since.
    @Test func aDepartureIsRecentForATimeoutAndOnlyForAProcessWithAnInstanceTag() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        for (id, tag) in [("a", "p1"), ("b", "p2"), ("c", "p3")] {
            _ = m.hello(.init(role: "worker", id: id, capabilities: [("instance", tag)]), now: 0)
        }
        _ = m.hello(.init(role: "worker", id: "untagged"), now: 0)
        m.goodbye("a", now: 10)
        m.goodbye("b", now: 11)
        m.goodbye("c", now: 11)
        m.goodbye("untagged", now: 11)
        m.evict("c")
        #expect(m.recentlyDeparted(now: 12).map { "\($0.id)#\($0.instance)" } == ["a#p1", "b#p2"])
        #expect(m.recentlyDeparted(now: 12.5).map(\.id) == ["b"])
        #expect(m.recentlyDeparted(now: 13.5).isEmpty)
    }

    @Test func membershipDoesNotCountSilenceWhileTheLearnerIsNotListening() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        m.hello(.init(role: "worker", id: "a"), now: 0)
        m.hello(.init(role: "worker", id: "b"), now: 0)
        // The learner waits for room in its buffer from t=1 to t=11: 10 s in which nobody can be heard.
        m.stopListening(now: 1)
        m.stopListening(now: 5)  // a second pause while paused changes nothing
        #expect(m.prune(now: 10).isEmpty)
        m.startListening(now: 11)
        m.seen("b", now: 11.5)
        // 1 s listened before the pause, 1.5 s after it: 2.5 s of silence for a; 0 for b.
        #expect(m.prune(now: 12.5) == ["a"])
        #expect(m.prune(now: 13.4).isEmpty)  // b: 1.9 s of listening since it was seen
        #expect(m.prune(now: 13.6) == ["b"])
        #expect(m.timeouts == 2)
    }

    @Test func aSilentMemberTimesOutWhileOthersKeepTheBackpressuredLearnerReading() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        m.hello(.init(role: "worker", id: "a"), now: 0)
        m.hello(.init(role: "worker", id: "b"), now: 0)
        // Backpressure all along: the listening clock never runs, but b's trajectories are read.
        m.stopListening(now: 0)
        // Many reads in the first second are not silence: a's own wall-clock silence is under 2 s.
        for _ in 0..<20 { m.seen("b", now: 0.5) }
        #expect(m.prune(now: 1).isEmpty)
        // The bar is 2 × (inbox 2 + 2 connections × 2 members) = 12 reads since a's last message.
        m.seen("a", now: 3)
        for t in 4...14 { m.seen("b", now: Double(t)) }
        #expect(m.prune(now: 14.5).isEmpty)  // 11 reads: a message from a could still be queued
        m.seen("b", now: 15)
        #expect(m.prune(now: 15.5) == ["a"])
        #expect(m.count == 1 && m.timeouts == 1)
    }

    @Test func sendersNotYetRegisteredRaiseTheReadsBar() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        m.hello(.init(role: "worker", id: "a"), now: 0)
        m.hello(.init(role: "worker", id: "b"), now: 0)
        m.stopListening(now: 0)
        // c sends trajectories without a Hello yet (say its Hello waits behind backpressure after a
        // learner restart): the socket goes round its connections too, so the bar is
        // 2 × (2 + 2 × 3 senders) = 16 reads since a's last message, not 12.
        m.seen("a", now: 3)
        for t in 4...15 { m.seen(t % 2 == 0 ? "b" : "c", now: Double(t)) }
        #expect(m.prune(now: 15.5).isEmpty)  // 12 reads
        for t in 16...19 { m.seen(t % 2 == 0 ? "b" : "c", now: Double(t)) }
        #expect(m.prune(now: 19.5) == ["a"])  // 16 reads
    }
}
