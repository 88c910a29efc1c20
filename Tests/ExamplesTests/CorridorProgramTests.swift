import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// The example program (`yendor-corridor`): Yendor's command line with a Swift environment of its
/// own registered, run as a user runs it, in real processes.
@Suite(.serialized)
struct CorridorProgramTests {
    /// Built next to `yendor`.
    static var binary: URL { ChildProcess.yendorBinary.deletingLastPathComponent().appendingPathComponent("yendor-corridor") }

    /// Training with worker processes: `train --workers` starts the program itself again, so each
    /// worker knows the registered env; the learner built its network from the env's spec; the
    /// run resumes and evaluates in the same program.
    @Test func theProgramTrainsItsOwnEnvironmentWithWorkerProcessesAndEvaluatesIt() async throws {
        let (dir, config) = try TinyRun.scratch("corridor", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(executable: Self.binary, arguments: ["train", "--config", config, "--env", "swift:corridor",
                                                                          "--workers", "2", "--steps", "100000000", "--run-dir", run.path])
        defer { train.kill() }
        for i in 0..<2 {
            #expect(await train.waitForStandardError(containing: "worker worker-\(i) joined"), "\(train.standardError.suffix(2000))")
        }
        #expect(train.standardError.contains("obs-v2 env=corridor map=7x15 crop=5 glyphs=4 blstats=3 caption=32 actions=5"))
        func last(_ key: String) -> Double { (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?[key] ?? 0 }
        // Episodes end (at the exit or the step limit) and are counted; then stop with a checkpoint.
        #expect(await Poll.until(timeout: 600) { last("rollout/episodes") >= 10 }, "\(train.standardError.suffix(2000))")
        train.signal(SIGTERM)
        #expect(await train.waitForExit() == 0, "\(train.standardError.suffix(2000))")
        let saved = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(saved.contains("kind: swift") && saved.contains("task: corridor"), "\(saved)")

        let json = dir.appendingPathComponent("evaluation.json")
        let evaluate = try ChildProcess(executable: Self.binary, arguments: ["evaluate", "--run-dir", run.path, "--episodes", "8", "--json", json.path])
        #expect(await evaluate.waitForExit() == 0, "\(evaluate.standardError.suffix(2000))")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        #expect(report["task"] as? String == "corridor")
        #expect((report["episodes"] as? [Any])?.count == 8)
    }

    /// The `yendor` executable registers no Swift environment: it says what `swift:` is for.
    @Test func yendorItselfRefusesASwiftEnvironmentSayingItRegisteredNone() async throws {
        let dir = Scratch.root.appendingPathComponent("yendor-no-swift-env-\(UUID().uuidString.prefix(8))")
        let train = try ChildProcess(yendor: ["train", "--env", "swift:corridor", "--steps", "100", "--run-dir", dir.path])
        #expect(await train.waitForExit() == 64)
        #expect(train.standardError.contains("env.task") && train.standardError.contains("registered none"), "\(train.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.path), "a refused run makes no run directory")
    }
}
