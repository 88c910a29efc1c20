import Testing
import YendorSupport

@Suite struct LogThrottleTests {
    @Test func aKeyIsLoggedOncePerIntervalWithTheCountOfLinesNotLoggedBetween() {
        var throttle = LogThrottle(interval: 10)
        #expect(throttle.shouldLog("a", now: 0) == 0)
        #expect(throttle.shouldLog("a", now: 1) == nil)
        #expect(throttle.shouldLog("a", now: 2) == nil)
        #expect(throttle.shouldLog("b", now: 2) == 0, "keys apart")
        #expect(throttle.shouldLog("a", now: 10) == 2)
    }

    /// The count of a run of lines not logged can be said when the run ends, and the next line for
    /// that key is logged at once.
    @Test func flushingAKeyGivesItsLinesNotLoggedAndForgetsIt() {
        var throttle = LogThrottle(interval: 10)
        #expect(throttle.flush("a") == 0)
        _ = throttle.shouldLog("a", now: 0)
        for t in 1...3 { #expect(throttle.shouldLog("a", now: Double(t)) == nil) }
        #expect(throttle.flush("a") == 3)
        #expect(throttle.flush("a") == 0)
        #expect(throttle.shouldLog("a", now: 4) == 0)
    }
}
