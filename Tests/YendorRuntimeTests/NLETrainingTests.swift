import Foundation
import NetHack
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// Training on real NetHack, hosted by Yendor's workers, with real processes over real sockets.
@Suite("Training on NLE", .serialized, .enabled(if: (try? NetHackLibrary.locate()) != nil, "needs .venv with nle 1.3.0 (make deps)"))
struct NLETrainingTests {
    @Test func inProcessTrainingOnNetHackReachesItsBudgetWithNetHacksOwnCaptions() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("nle-inprocess")
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "nle", "--task", "score",
                                              "--steps", "1500", "--run-dir", run.path])
        let status = await train.waitForExit(timeout: 300)
        #expect(status == 0, "train failed: \(train.standardError.suffix(2000))")
        try TrainingEndToEndTests.expectFinishedRun(run, reached: 1500, configurationContains: "kind: nle")
        // NetHackScore cannot be won: no success rate (it would read 0% forever).
        let records = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl"))
        #expect(!records.isEmpty && records.allSatisfy { $0["rollout/success_rate"] == nil })
        #expect(train.standardError.contains(" return ") && !train.standardError.contains(" success "),
                "\(train.standardError.suffix(1000))")
    }

    @Test func aWorkerProcessTrainsOnNetHackOverTCPAndADungeonWorkerIsRefusedNamingBothSpecs() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("nle-tcp")
        let run = dir.appendingPathComponent("run")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--env", "nle", "--task", "staircase",
                                                "--steps", "10000000", "--run-dir", run.path] + endpoints)
        defer { learner.kill() }
        let dungeon = try ChildProcess(yendor: ["worker", "--config", config, "--id", "dungeon-one"] + endpoints)
        defer { dungeon.kill() }
        #expect(await dungeon.waitForExit(timeout: 600) == 3, "\(dungeon.standardError.suffix(1500))")
        #expect(dungeon.standardError.contains("env=nle") && dungeon.standardError.contains("env=dungeon"),
                "\(dungeon.standardError.suffix(1000))")
        let nle = try ChildProcess(yendor: ["worker", "--config", config, "--env", "nle", "--task", "staircase",
                                            "--id", "nethack-one"] + endpoints)
        defer { nle.kill() }
        #expect(await learner.waitForStandardError(containing: "worker nethack-one joined"), "\(nle.standardError.suffix(1500))")
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: 500, of: learner))
        nle.signal(SIGTERM)
        #expect(await nle.waitForExit(timeout: 60) == 0)
    }
}
