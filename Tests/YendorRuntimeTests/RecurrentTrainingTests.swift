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
        try TrainingEndToEndTests.expectFinishedRun(run, reached: 2500, configurationContains: "core: gru")
    }
}
