import Foundation
import Testing
import YendorSupport
@testable import YendorRuntime

/// The roles time their peers' silence, leave timeouts and rates on a monotonic clock, so that a
/// step of the node's wall clock (NTP, a VM resumed) neither times every peer out at once nor keeps
/// a dead one for the size of the step; only what leaves the process carries the time of day.
@Suite("Clocks")
struct ClockTests {
    @Test func timeoutsAreMeasuredFromTheProcessNotTheTimeOfDay() {
        // Seconds since this process first read the clock (a test run lasts far less than 11 days),
        // where the wall clock counts from 1970.
        #expect(Clock.now >= 0 && Clock.now < 1e6, "Clock.now \(Clock.now)")
        #expect(abs(Clock.wallTime - Date().timeIntervalSince1970) < 60, "wall time \(Clock.wallTime)")
        #expect(abs(Double(Clock.wallNanos) / 1e9 - Date().timeIntervalSince1970) < 60)
    }

    @Test func theMonotonicClockNeverGoesBackAndKeepsPaceWithTheContinuousClock() async throws {
        let start = ContinuousClock.now, first = MonotonicClock.seconds
        var last = first
        for _ in 0..<10_000 {
            let reading = MonotonicClock.seconds
            #expect(reading >= last)
            last = reading
        }
        try await Task.sleep(for: .milliseconds(50))
        // Read inside the continuous clock's readings, so that what it measured lies within theirs.
        let measured = MonotonicClock.seconds - first
        let elapsed = (ContinuousClock.now - start).seconds
        #expect(measured >= 0.05 && measured <= elapsed + 1e-6, "measured \(measured) s, elapsed \(elapsed) s")
    }
}
