import Testing
@testable import YendorRuntime

/// When a worker says its learner went silent, and back, with hand-set clocks.
@Suite("Learner silence")
struct LearnerSilenceTests {
    /// A learner started after its worker: the worker's first Hello went at 10 s, nothing heard
    /// before it. Counted from the worker's start (0 s), it was "silent for 10 s" as it connected,
    /// and "back" a moment later (trial T).
    @Test func aLearnerNeverHeardBeforeTheFirstHelloIsNotSilentUntilATimeoutAfterIt() {
        var silence = LearnerSilence(timeout: 3, connectedAt: 10)
        #expect(silence.check(now: 10, lastHeard: 0) == nil)
        #expect(silence.check(now: 12.9, lastHeard: 0) == nil)
        #expect(silence.isHeard(now: 12.9, lastHeard: 0))
        #expect(silence.check(now: 13.5, lastHeard: 0) == .wentSilent(seconds: 3.5), "a peer timeout after the Hello, still nothing")
    }

    /// Each change is said once, until the other comes.
    @Test func silenceAndReturnAreEachSaidOnce() {
        var silence = LearnerSilence(timeout: 3, connectedAt: 0)
        #expect(silence.check(now: 1, lastHeard: 1) == nil)
        #expect(silence.check(now: 5, lastHeard: 1) == .wentSilent(seconds: 4))
        #expect(silence.check(now: 6, lastHeard: 1) == nil)
        #expect(!silence.isHeard(now: 6, lastHeard: 1))
        #expect(silence.check(now: 7, lastHeard: 6.5) == .cameBack)
        #expect(silence.check(now: 8, lastHeard: 7.5) == nil)
    }
}
