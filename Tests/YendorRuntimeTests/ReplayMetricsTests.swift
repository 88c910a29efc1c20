import Testing
import YendorMetrics
import YendorReplay
@testable import YendorRuntime

/// The replay buffer's readings as metrics: the replay role's two loops read the buffer and record
/// in either order.
@Suite("Replay metrics")
struct ReplayMetricsTests {
    static func reading(inserted: UInt64, sampled: UInt64, size: Int) -> ReplayStatistics {
        var s = ReplayStatistics()
        s.inserted = inserted
        s.sampled = sampled
        s.consumed = sampled
        s.size = size
        return s
    }

    /// A reading recorded after a newer one changes nothing (its difference was counted again:
    /// trial C, `replay/sampled` 2841 against the buffer's 2836); the counters end at the newest totals.
    @Test func anOlderReadingRecordedLateIsNotCountedAgain() {
        let registry = MetricsRegistry(role: "replay", forwarding: .none)
        let metrics = ReplayMetrics(registry: registry)
        metrics.record(Self.reading(inserted: 5, sampled: 4, size: 1))
        metrics.record(Self.reading(inserted: 7, sampled: 6, size: 1))
        metrics.record(Self.reading(inserted: 6, sampled: 4, size: 2))  // read before the one above
        #expect(registry["replay/inserted"] == 7 && registry["replay/sampled"] == 6 && registry["replay/consumed"] == 6)
        #expect(registry["replay/size"] == 1, "the gauge stays at the newest reading")
        metrics.record(Self.reading(inserted: 9, sampled: 9, size: 0))
        #expect(registry["replay/inserted"] == 9 && registry["replay/sampled"] == 9 && registry["replay/size"] == 0)
    }
}
