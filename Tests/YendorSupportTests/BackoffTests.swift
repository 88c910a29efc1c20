import Testing
import YendorSupport

@Suite struct BackoffTests {
    let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.5)

    @Test func delayDoublesPerRetryUpToTheMaximum() {
        // unit = 0.5 is the middle of the jitter range: no jitter.
        let delays = (0..<6).map { backoff.delay(retry: $0, retryAfter: nil, unit: 0.5) }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    }

    @Test func jitterStaysWithinItsFraction() {
        #expect(backoff.delay(retry: 1, retryAfter: nil, unit: 0) == .milliseconds(100))
        #expect(backoff.delay(retry: 1, retryAfter: nil, unit: 1) == .milliseconds(300))
    }

    @Test func retryAfterReplacesTheComputedDelay() {
        #expect(backoff.delay(retry: 0, retryAfter: .seconds(7), unit: 0.9) == .seconds(7))
    }
}
