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

    /// A process killed outright cannot remove its games' directories: the next process that makes
    /// a game does, and a process stopped by a signal removes its own.
    @Test func theGameDirectoriesOfAKilledProcessAreRemovedByTheNextProcessThatMakesAGame() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("nle-killed")
        let temporary = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        func gameDirectories() -> Set<String> {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter { $0.hasPrefix("yendor-nle-") })
        }
        func train(_ name: String) throws -> (ChildProcess, URL) {
            let run = dir.appendingPathComponent(name)
            let process = try ChildProcess(yendor: ["train", "--config", config, "--env", "nle", "--task", "score",
                                                    "--actors", "1", "--envs", "2", "--steps", "10000000", "--run-dir", run.path],
                                           environment: ["TMPDIR": temporary.path + "/"])
            return (process, run)
        }
        let (first, firstRun) = try train("first")
        defer { first.kill() }
        #expect(await TrainingEndToEndTests.waitForSteps(firstRun, above: 0, of: first), "\(first.standardError.suffix(1500))")
        let abandoned = gameDirectories()
        #expect(!abandoned.isEmpty)
        first.kill()
        _ = await first.waitForExit(timeout: 120)
        #expect(gameDirectories() == abandoned)

        let (second, secondRun) = try train("second")
        defer { second.kill() }
        #expect(await TrainingEndToEndTests.waitForSteps(secondRun, above: 0, of: second), "\(second.standardError.suffix(1500))")
        let live = gameDirectories()
        #expect(!live.isEmpty && live.isDisjoint(with: abandoned), "\(live) after \(abandoned)")
        second.signal(SIGTERM)
        #expect(await second.waitForExit(timeout: 300) == 0, "\(second.standardError.suffix(1500))")
        #expect(gameDirectories().isEmpty)
    }
}
