import Histogram

/// Latency percentiles over the recent answers: HdrHistograms of microseconds (3 significant
/// digits, up to an hour), two of them so that old latencies age out — the newer one records, and
/// when it holds `window` samples it replaces the older one. A percentile covers the last `window`
/// to `2 × window` samples. Bounded memory whatever the rate.
public struct LatencyWindow: Sendable {
    public let window: Int
    private var newer: Histogram<UInt64>
    private var older: Histogram<UInt64>
    static let highestMicroseconds: UInt64 = 3_600_000_000

    public init(window: Int) {
        self.window = max(window, 1)
        newer = Histogram(highestTrackableValue: Self.highestMicroseconds, numberOfSignificantValueDigits: .three)
        older = newer
    }

    /// Records one latency (negative and non-finite values count as 0, over an hour as an hour).
    public mutating func record(seconds: Double) {
        let micros = seconds.isFinite ? (max(seconds, 0) * 1e6).rounded() : 0
        _ = newer.record(micros >= Double(Self.highestMicroseconds) ? Self.highestMicroseconds : UInt64(micros))
        if newer.totalCount >= UInt64(window) {
            older = newer
            newer.reset()
        }
    }

    /// The latency in seconds at `fraction` (0...1) of the recent samples; 0 when there are none.
    public func percentile(_ fraction: Double) -> Double {
        var all = older
        all.add(newer)
        guard all.totalCount > 0 else { return 0 }
        return Double(all.valueAtPercentile(fraction * 100)) / 1e6
    }
}
