import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// The recurrent core through the whole runtime: rollout workers ship `obs/core_state`, the
/// learner service assembles it and trains through time, and checkpoints resume.
@Suite("Training with a recurrent core", .serialized)
struct RecurrentTrainingTests {
    @Test func anInProcessRunWithTheGRUCoreTrainsAndResumes() async throws {
        let (dir, config) = try TinyRun.scratch("gru", checkpointInterval: 1)
        let run = dir.appendingPathComponent("run")
        for steps in ["1500", "2500"] {  // the second run resumes from the first's checkpoint
            let train = try ChildProcess(yendor: ["train", "--config", config, "--set", "model.core=gru", "--steps", steps, "--run-dir", run.path])
            let status = await train.waitForExit(timeout: 600)
            #expect(status == 0, "train failed: \(train.standardError.suffix(2000))")
        }
        let metrics = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl"))
        #expect((metrics.last?["env_steps"] ?? 0) >= 2500)
        #expect(metrics.contains { ($0["learner/updates"] ?? 0) >= 1 })
        let resolved = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(resolved.contains("core: gru"))
    }
}
