import Testing
@testable import YendorRuntime

/// The run's env-server failure totals from the workers' Hello reports.
@Suite("Env-server failure totals")
struct EnvServerFailureTotalsTests {
    @Test func aWorkerThatLeavesOrRestartsKeepsItsFailuresInTheRunsTotal() {
        var totals = EnvServerFailureTotals()
        #expect(totals.update([]) == nil, "no worker steps env servers")
        #expect(totals.update([("a#1", [3, 1]), ("b#1", [2, 0])]) == [5, 1])
        #expect(totals.update([("b#1", [4, 0])]) == [7, 1], "a left: its 3 and 1 stay")
        #expect(totals.update([("b#2", [0, 0])]) == [7, 1], "b restarted: its old instance's 4 stay")
        #expect(totals.update([]) == [7, 1])
    }

    @Test func envErrorsAreSummedWithTheFailures() {
        #expect(EnvServerFailureTotals.keys == ["env_server_failures", "env_server_reopen_failures", "env_errors"])
        var totals = EnvServerFailureTotals()
        #expect(totals.update([("a#1", [1, 0, 40]), ("b#1", [0, 0, 2])]) == [1, 0, 42])
        #expect(totals.update([("b#1", [0, 0, 5])]) == [1, 0, 45], "a left: its 40 stay")
    }
}
