import Logging
import Synchronization
import Testing
@testable import YendorRuntime

@Suite("Progress line")
struct ProgressLineTests {
    static func snapshot(steps: UInt64, budget: UInt64, sps: Double, workers: Int = 1) -> ProgressLine.Snapshot {
        .init(steps: steps, budget: budget, sps: sps, episodes: 3, recentEpisodes: 3, meanReturn: 1.5, successRate: 0.25, policyLag: 2, workers: workers)
    }

    @Test func theETAComesFromTheRateAndIsUnknownWithoutOneOrWithoutWorkers() {
        #expect(ProgressLine.line(Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000)).hasSuffix("ETA 1m0s"))
        // Before the first rate (a start, a resume) the line said "ETA 0m0s".
        #expect(ProgressLine.line(Self.snapshot(steps: 78_800, budget: 100_000, sps: 0)).hasSuffix("ETA ?"))
        #expect(ProgressLine.line(Self.snapshot(steps: 100_000, budget: 100_000, sps: 0)).hasSuffix("ETA 0m0s"))
        // The interval's rate after the last worker left said "50 SPS … ETA 5510h".
        #expect(ProgressLine.line(Self.snapshot(steps: 40_000, budget: 100_000, sps: 50, workers: 0)).hasSuffix("workers 0  ETA ?"))
        // A rate near zero gives a huge ETA, cut rather than a trap.
        #expect(ProgressLine.line(Self.snapshot(steps: 1, budget: .max, sps: 1e-300)).contains("ETA "))
    }

    @Test func returnAndSuccessAreUnknownUntilAnEpisodeEnds() {
        var s = Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000)
        #expect(ProgressLine.line(s).contains("episodes 3  return 1.50  success 25.0%  lag 2.0"))
        // One win in 200 episodes is not 0% (it was printed so, beside a return of 0.25).
        s.successRate = 0.005
        #expect(ProgressLine.line(s).contains("success 0.5%"))
        s.episodes = 0
        s.recentEpisodes = 0
        s.meanReturn = 0
        s.successRate = 0
        #expect(ProgressLine.line(s).contains("episodes 0  return -  success -  lag 2.0"))
        // A resumed run counts the episodes before it, but none of them is in the window yet.
        s.episodes = 344
        #expect(ProgressLine.line(s).contains("episodes 344  return -  success -  lag 2.0"))
    }

    /// SPS counts samples dropped as too stale: 32 workers on 2 cores took in more each second
    /// while 96% of it was dropped (trial S), and the line showed only the rising SPS.
    @Test func thePartOfTheSamplesTooStaleToTrainOnIsSaidOnlyWhenThereIsSome() {
        var s = Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000)
        #expect(!ProgressLine.line(s).contains("stale"))
        s.staleShare = 0.004
        #expect(!ProgressLine.line(s).contains("stale"))
        s.staleShare = 0.966
        #expect(ProgressLine.line(s).contains("lag 2.0 (97% too stale)  workers 1"))
    }

    @Test func aTaskThatCannotBeWonShowsNoSuccessRate() {
        var s = Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000)
        s.successRate = nil
        #expect(ProgressLine.line(s).contains("episodes 3  return 1.50  lag 2.0"))
        s.episodes = 0
        s.recentEpisodes = 0
        #expect(ProgressLine.line(s).contains("episodes 0  return -  lag 2.0"))
    }

    /// On a terminal, a log line is written with the live line cleared first and drawn again after
    /// (it was written onto the end of the live line: "… ETA ?2026-12-05T15:53:50 info …").
    @Test func aLogLineOnATerminalClearsTheLiveLineAndDrawsItAgain() {
        let written = Mutex<[String]>([])
        let capture: @Sendable (String) -> Void = { text in written.withLock { $0.append(text) } }
        let terminal = LiveLine(output: capture)
        let line = ProgressLine(logger: Logger(label: "test"), interactive: true, live: terminal)
        line.show(Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000))
        let live = ProgressLine.line(Self.snapshot(steps: 40_000, budget: 100_000, sps: 1_000))
        terminal.interleave { capture("a log line\n") }
        line.finish()
        terminal.interleave { capture("after the run\n") }
        #expect(written.withLock { $0 } == ["\r\u{1B}[2K" + live, "\r\u{1B}[2K", "a log line\n", "\r\u{1B}[2K" + live, "\n", "after the run\n"])
    }
}
