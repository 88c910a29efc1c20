import Testing
@testable import YendorRuntime

struct EnvStepCostTests {
    @Test func theCostIsTheCPUTimeOverTheStepsTakenSinceTheLastReport() {
        var cost = EnvStepCost()
        // Two workers' first reports: everything since their start, 3 s over 60,000 steps.
        #expect(cost.update([("a#1", 1.0, 20_000), ("b#1", 2.0, 40_000)]) == 3.0 / 60_000)
        // Since then: a 0.5 s over 5,000 steps; b sent no new Hello (nothing new from it).
        #expect(cost.update([("a#1", 1.5, 25_000), ("b#1", 2.0, 40_000)]) == 0.5 / 5_000)
        // Nothing new from anyone: no figure (the gauge keeps its last).
        #expect(cost.update([("a#1", 1.5, 25_000), ("b#1", 2.0, 40_000)]) == nil)
        // a restarted (a new instance counts from 0) and b left.
        #expect(cost.update([("a#2", 0.25, 1_000)]) == 0.25 / 1_000)
        #expect(cost.update([]) == nil)
    }
}
