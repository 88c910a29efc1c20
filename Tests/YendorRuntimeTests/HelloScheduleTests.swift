import Testing
@testable import YendorRuntime

/// When a worker says Hello: every few heartbeats, held back under backpressure, and at once when
/// the learner is heard again after a silence.
@Suite("HelloSchedule")
struct HelloScheduleTests {
    /// Runs `ticks` ticks, saying every Hello the schedule wants; returns the ticks they went at.
    static func run(_ schedule: inout HelloSchedule, ticks: Int, full: Bool, sent: (Int) -> Int) -> [Int] {
        var said: [Int] = []
        for t in 0..<ticks {
            if schedule.wantsHello(outboxFull: full, sent: sent(t)) {
                schedule.said(sent: sent(t))
                said.append(t)
            }
            schedule.advance()
        }
        return said
    }

    @Test func aWorkerWhoseOutboxMovesSaysHelloEveryFewTicks() {
        var schedule = HelloSchedule(every: 2, sent: 0)
        #expect(Self.run(&schedule, ticks: 7, full: false) { _ in 0 } == [2, 4, 6])
        var full = HelloSchedule(every: 3, sent: 0)
        #expect(Self.run(&full, ticks: 10, full: true) { $0 } == [3, 6, 9], "full, but a trajectory left each tick")
    }

    @Test func aFullOutboxThatDoesNotMoveHoldsHellosBack() {
        var schedule = HelloSchedule(every: 2, sent: 5)
        #expect(Self.run(&schedule, ticks: 10, full: true) { _ in 5 }.isEmpty)
        // One trajectory leaves at tick 6 (of the next ten): one Hello, then none again.
        #expect(Self.run(&schedule, ticks: 10, full: true) { $0 >= 6 ? 6 : 5 } == [6])
    }

    /// After a silence, a Hello at once however full the outbox, then on schedule while nothing
    /// has left (what is queued waits for TCP, not for the learner); once a trajectory has left,
    /// backpressure holds them back again.
    @Test func aLearnerHeardAgainAfterASilenceGetsHellosUntilATrajectoryLeaves() {
        var schedule = HelloSchedule(every: 4, sent: 5)
        #expect(Self.run(&schedule, ticks: 9, full: true) { _ in 5 }.isEmpty)
        schedule.learnerCameBack(sent: 5)
        #expect(Self.run(&schedule, ticks: 12, full: true) { _ in 5 } == [0, 4, 8])
        // Still nothing has left at tick 0 of the next twelve; one leaves at 2: a Hello at the next
        // due tick (4), as under backpressure, then none.
        #expect(Self.run(&schedule, ticks: 12, full: true) { $0 >= 2 ? 6 : 5 } == [0, 4])
    }

    @Test func aHelloThatFindsNoConnectionIsTriedAgainAtTheNextTick() {
        var schedule = HelloSchedule(every: 4, sent: 0)
        schedule.learnerCameBack(sent: 0)
        // Not taken (no connection yet) for three ticks: still due.
        for _ in 0..<3 {
            #expect(schedule.wantsHello(outboxFull: true, sent: 0))
            schedule.advance()
        }
        schedule.said(sent: 1)
        #expect(!schedule.wantsHello(outboxFull: true, sent: 1))
    }
}
