import Foundation
import Testing
import YendorTestSupport

/// A worker stopped while its trajectory outbox is full still says Goodbye: the learner records it
/// as leaving, not as timing out.
@Suite("Worker goodbye", .serialized)
struct WorkerGoodbyeTests {
    @Test func aWorkerStoppedUnderBackpressureIsRecordedAsLeavingNotTimedOut() async throws {
        let (dir, config) = try TinyRun.scratch("goodbye", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run").path
        let endpoints = ["--set", "transport.trajectories=\(ChildProcess.ipcEndpoint("goodbye-trajectories"))",
                         "--set", "transport.weights=\(ChildProcess.ipcEndpoint("goodbye-weights"))"]
        // 0.2 s heartbeats × 1000 misses: the learner would time the worker out only after 200 s, so
        // a timeout can only mean a lost Goodbye, however slow the machine.
        let patient = ["--set", "transport.heartbeat_misses=1000"]
        // A learner far slower than its worker (100 passes over every batch): the worker's outbox
        // stays full, as under real backpressure, while the learner keeps reading.
        let slow = ["--set", "learner.epochs=100", "--set", "learner.minibatch_size=16"]
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run]
                                       + endpoints + patient + slow)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "leaver"] + endpoints + patient)
        defer {
            worker.kill()
            learner.kill()
        }
        #expect(await learner.waitForStandardError(containing: "worker leaver joined", timeout: 120), "\(learner.standardError.suffix(1500))")
        #expect(await worker.waitForStandardError(containing: "outbox full", timeout: 120), "\(worker.standardError.suffix(1500))")

        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: 60) != nil, "the worker did not stop on SIGTERM")
        #expect(worker.standardError.contains("goodbye=sent"), "\(worker.standardError.suffix(1500))")

        // The learner has seen the worker leave as often as join: a Hello still in flight may register
        // it again after the first Goodbye, and then the second Goodbye must remove it.
        func settled() -> Bool {
            let log = learner.standardError
            let joins = log.components(separatedBy: "worker leaver joined").count - 1
            let leaves = log.components(separatedBy: "worker leaver left").count - 1
            return leaves >= 1 && leaves >= joins
        }
        let deadline = Date().addingTimeInterval(180)
        while !settled() && Date() < deadline && learner.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let membership = learner.standardError.split(separator: "\n").filter { $0.contains("worker leaver") }.joined(separator: "\n")
        #expect(settled(), "learner: \(membership)\nworker: \(worker.standardError.suffix(800))")
        #expect(!learner.standardError.contains("worker leaver timed out"), "learner: \(membership)")
    }
}
