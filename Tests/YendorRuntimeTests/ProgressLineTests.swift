import Testing
@testable import YendorRuntime

@Suite("Progress line")
struct ProgressLineTests {
    static func snapshot(steps: UInt64, budget: UInt64, sps: Double) -> ProgressLine.Snapshot {
        .init(steps: steps, budget: budget, sps: sps, episodes: 3, recentEpisodes: 3, meanReturn: 1.5, successRate: 0.25, policyLag: 2, workers: 1)
    }

    @Test func theETAComesFromTheRateAndIsUnknownWithoutOne() {
        #expect(ProgressLine.line(Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000)).hasSuffix("ETA 1m0s"))
        // Before the first rate (a start, a resume) the line said "ETA 0m0s".
        #expect(ProgressLine.line(Self.snapshot(steps: 78_800, budget: 100_000, sps: 0)).hasSuffix("ETA ?"))
        #expect(ProgressLine.line(Self.snapshot(steps: 100_000, budget: 100_000, sps: 0)).hasSuffix("ETA 0m0s"))
        // A rate near zero gives a huge ETA, cut rather than a trap.
        #expect(ProgressLine.line(Self.snapshot(steps: 1, budget: .max, sps: 1e-300)).contains("ETA "))
    }

    @Test func returnAndSuccessAreUnknownUntilAnEpisodeEnds() {
        var s = Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000)
        #expect(ProgressLine.line(s).contains("episodes 3  return 1.50  success 25%  lag 2.0"))
        s.episodes = 0
        s.recentEpisodes = 0
        s.meanReturn = 0
        s.successRate = 0
        #expect(ProgressLine.line(s).contains("episodes 0  return -  success -  lag 2.0"))
        // A resumed run counts the episodes before it, but none of them is in the window yet.
        s.episodes = 344
        #expect(ProgressLine.line(s).contains("episodes 344  return -  success -  lag 2.0"))
    }

    @Test func aTaskThatCannotBeWonShowsNoSuccessRate() {
        var s = Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000)
        s.successRate = nil
        #expect(ProgressLine.line(s).contains("episodes 3  return 1.50  lag 2.0"))
        s.episodes = 0
        s.recentEpisodes = 0
        #expect(ProgressLine.line(s).contains("episodes 0  return -  lag 2.0"))
    }
}
