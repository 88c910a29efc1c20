/// Events per second over a sliding window, in one-second buckets (constant memory).
struct RateMeter {
    private var buckets: [Int]
    private var newestSecond: Int64 = 0
    private let origin: ContinuousClock.Instant

    init(windowSeconds: Int, origin: ContinuousClock.Instant = .now) {
        buckets = Array(repeating: 0, count: max(1, windowSeconds))
        self.origin = origin
    }

    mutating func record(_ events: Int, at instant: ContinuousClock.Instant = .now) {
        advance(to: instant)
        buckets[Int(newestSecond % Int64(buckets.count))] += events
    }

    mutating func rate(at instant: ContinuousClock.Instant = .now) -> Double {
        advance(to: instant)
        let elapsed = (instant - origin).seconds
        let span = min(Double(buckets.count), max(elapsed, 1))
        return Double(buckets.reduce(0, +)) / span
    }

    private mutating func advance(to instant: ContinuousClock.Instant) {
        let second = (instant - origin).components.seconds
        guard second > newestSecond else { return }
        // Clear the buckets that fell out of the window.
        for cleared in (newestSecond + 1)...min(second, newestSecond + Int64(buckets.count)) {
            buckets[Int(cleared % Int64(buckets.count))] = 0
        }
        newestSecond = second
    }
}
