import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

enum GymFixture {
    static let executable = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".venv/bin/yendor-env")
    static var available: Bool { FileManager.default.isExecutableFile(atPath: executable.path) }
}

/// Training on Gymnasium environments served by `yendor-env` processes.
@Suite("Training on Gymnasium envs", .serialized, .enabled(if: GymFixture.available, "needs .venv with yendor-env (make deps)"))
struct GymTrainingTests {
    @Test func trainOnAMiniGridEnvStartsItsServersReachesTheBudgetAndStopsThem() async throws {
        let (dir, config, _) = try TrainingEndToEndTests.scratch("gym-train")
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--env", "gym:MiniGrid-DoorKey-5x5-v0",
                                              "--env-servers", "2", "--steps", "1500", "--run-dir", run.path])
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 300) == 0, "\(train.standardError.suffix(2000))")
        let metrics = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl"))
        #expect((metrics.last?["env_steps"] ?? 0) >= 1500)
        let resolved = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(resolved.contains("kind: server") && resolved.contains("env=gym:MiniGrid-DoorKey-5x5-v0"), "\(resolved)")
        for k in 0..<2 {
            let log = (try? String(contentsOf: run.appendingPathComponent("logs/env-server-\(k).log"), encoding: .utf8)) ?? ""
            #expect(!log.isEmpty || FileManager.default.fileExists(atPath: run.appendingPathComponent("logs/env-server-\(k).log").path))
        }
        // The servers stopped with the run: nothing answers on their sockets any more.
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: "/proc").contains { pid in
            guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: cmd, as: UTF8.self).contains(run.path + "/sockets/env-server")
        }), "an env server outlived the run")
    }

    @Test func aWorkerSteppingAnEnvServerFeedsALearner() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("gym-worker")
        let run = dir.appendingPathComponent("run")
        let endpoint = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let server = try ChildProcess(executable: GymFixture.executable, arguments: [
            "serve", "--env", "MiniGrid-DoorKey-5x5-v0", "--num-envs", "4", "--bind", endpoint])
        defer { server.kill() }
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--env-server", endpoint, "--steps", "100000000",
                                                "--run-dir", run.path] + endpoints)
        defer { learner.kill() }
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--env-server", endpoint, "--id", "gym-worker"] + endpoints)
        defer { worker.kill() }
        #expect(await learner.waitForStandardError(containing: "worker gym-worker joined", timeout: 600),
                "learner: \(learner.standardError.suffix(1000)) worker: \(worker.standardError.suffix(1000))")
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: 500, of: learner), "learner: \(learner.standardError.suffix(1000))")
        // Intrinsic rewards are on (retrieval) and the goal is auto, which a server cannot fill in.
        #expect(learner.standardError.contains("env servers declare no annotator goal"), "\(learner.standardError.prefix(3000))")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: 60) == 0)
    }
}
