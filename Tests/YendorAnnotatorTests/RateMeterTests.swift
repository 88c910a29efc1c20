import Testing
@testable import YendorAnnotator

@Suite struct RateMeterTests {
    let origin = ContinuousClock.now

    @Test func rateIsEventsOverElapsedTimeWhileTheWindowFills() {
        var meter = RateMeter(windowSeconds: 10, origin: origin)
        meter.record(5, at: origin + .milliseconds(500))
        meter.record(5, at: origin + .milliseconds(1500))
        // 10 events in 2 s.
        #expect(meter.rate(at: origin + .seconds(2)) == 5)
    }

    @Test func eventsOlderThanTheWindowAreForgotten() {
        var meter = RateMeter(windowSeconds: 4, origin: origin)
        meter.record(100, at: origin + .milliseconds(100))
        meter.record(8, at: origin + .milliseconds(9_500))
        // Only the 8 recent events remain, over the 4 s window.
        #expect(meter.rate(at: origin + .milliseconds(9_900)) == 2)
    }
}
