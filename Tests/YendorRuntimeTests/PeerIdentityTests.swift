import Foundation
import Testing
import YendorRuntime
import YendorTestSupport
import YendorWire

/// Without CURVE, a worker id is only a claim. A Hello with an id outside the rule (`*`, a newline)
/// or claiming the id of a live worker from another process must not stop that worker, nor forge
/// log lines.
@Suite("Peer identity")
struct PeerIdentityTests {
    @Test func aHelloWithAnInvalidIdIsIgnoredWithoutAGoodbyeAndLoggedEscaped() async throws {
        try await TrajectoryAdmissionTests.Fixture.with("peer-invalid-id") { f in
            #expect(await f.learner.waitForStandardError(containing: "worker good joined", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            // `*` with a wrong fingerprint: answering it would address a refusal to every worker.
            try await f.hello("*", overrides: ["trajectory": "trajectory-v1 steps=99"])
            try await f.hello("evil\nFORGED worker admin joined")
            #expect(await f.waitFor("membership/hellos_refused", atLeast: 2, timeout: 600), "\(f.learner.standardError.suffix(1500))")
            #expect(await f.waitFor("transport/frames_dropped/peer_id", atLeast: 2, timeout: 600))
            #expect(await f.learner.waitForStandardError(containing: "ignored a Hello with an invalid id \"*\"", timeout: 60),
                    "\(f.learner.standardError.suffix(1500))")
            #expect(await f.learner.waitForStandardError(containing: "ignored a Hello with an invalid id \"evil\\nFORGED worker admin joined\"", timeout: 60),
                    "\(f.learner.standardError.suffix(1500))")
            #expect(!f.learner.standardError.split(separator: "\n").contains { $0.hasPrefix("FORGED") })
            #expect(f.goodbyes.withLock { $0.allSatisfy { $0.id != "*" } }, "goodbyes: \(f.goodbyes.withLock { $0 })")
            // The legitimate worker trains on.
            let updates = f.metric("learner/updates")
            #expect(await f.waitFor("learner/updates", atLeast: updates + 3), "\(f.learner.standardError.suffix(1500))")
            #expect(f.good?.isRunning == true, "\(f.good?.standardError.suffix(1500) ?? "")")
        }
    }

    @Test func aMismatchedHelloClaimingALiveWorkersIdRefusesOnlyTheClaimant() async throws {
        try await TrajectoryAdmissionTests.Fixture.with("peer-claimant") { f in
            #expect(await f.learner.waitForStandardError(containing: "worker good joined", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            try await f.hello("good", overrides: ["trajectory": "trajectory-v1 steps=99"], instance: "impostor")
            #expect(await f.learner.waitForStandardError(containing: "refusing a Hello claiming the id of live worker good from another process", timeout: 600),
                    "\(f.learner.standardError.suffix(1500))")
            // The refusal is addressed to the claimant's tag; `good` is still a member and trains on.
            let deadline = Date().addingTimeInterval(60)
            while !f.goodbyes.withLock({ $0.contains { $0.id == "good#impostor" } }) && Date() < deadline {
                try await f.hello("good", overrides: ["trajectory": "trajectory-v1 steps=99"], instance: "impostor")
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(f.goodbyes.withLock { $0.contains { $0.id == "good#impostor" } }, "goodbyes: \(f.goodbyes.withLock { $0 })")
            #expect(f.goodbyes.withLock { $0.allSatisfy { $0.id != "good" } })
            let updates = f.metric("learner/updates")
            #expect(await f.waitFor("learner/updates", atLeast: updates + 3), "\(f.learner.standardError.suffix(1500))")
            #expect(f.good?.isRunning == true, "the worker stopped: \(f.good?.standardError.suffix(1500) ?? "")")
            #expect(f.metric("membership/workers") >= 1)
        }
    }

    /// Two real `yendor worker` processes claim the live worker's id and are refused: one with another
    /// rollout length, one with the same configuration. Before, each exited with a Goodbye that
    /// named only the id, which ended the live worker's membership for the rest of the run. The
    /// first exits 3 (it would be refused again); the second 75, EX_TEMPFAIL: the same command
    /// succeeds once the id is free (a crashed worker's supervisor started it again too soon).
    @Test func aRefusedProcessClaimingALiveWorkersIdLeavesThatWorkerAMember() async throws {
        try await TrajectoryAdmissionTests.Fixture.with("peer-claimant-process") { f in
            #expect(await f.learner.waitForStandardError(containing: "worker good joined", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            for (name, extra, expected) in [("another rollout length", ["--set", "env.rollout_length=8"], Int32(3)), ("the same configuration", [], 75)] {
                let claimant = try ChildProcess(yendor: ["worker", "--config", f.config, "--id", "good"] + f.endpoints + extra)
                defer { claimant.kill() }
                let status = await claimant.waitForExit(timeout: 600)
                #expect(status == expected, "\(name): \(claimant.standardError.suffix(1500))")
                #expect(claimant.standardError.contains("the learner refused this worker"), "\(name): \(claimant.standardError.suffix(1500))")
                #expect(claimant.standardError.contains("not sent (refused: not a member)"), "\(name): \(claimant.standardError.suffix(1500))")
            }
            #expect(f.learner.standardError.contains("is held by a live worker of another process"), "\(f.learner.standardError.suffix(1500))")
            // Long enough for the learner to have read anything the claimants sent, then `good` is
            // still a member, has not left, and trains on.
            let updates = f.metric("learner/updates")
            #expect(await f.waitFor("learner/updates", atLeast: updates + 3), "\(f.learner.standardError.suffix(1500))")
            #expect(!f.learner.standardError.contains("worker good left"), "\(f.learner.standardError.suffix(1500))")
            #expect(f.metric("membership/hellos_stale") == 0)
            #expect(f.metric("membership/workers") >= 1)
            #expect(f.good?.isRunning == true, "the worker stopped: \(f.good?.standardError.suffix(1500) ?? "")")
        }
    }

    /// A worker of another task with the same spec is admitted (it may be meant), with a warning:
    /// before, nothing said that its returns mix into the run's.
    @Test func aWorkerOfAnotherTaskIsAdmittedWithAWarningNamingBothTasks() async throws {
        try await TrajectoryAdmissionTests.Fixture.with("peer-other-task", goodWorker: false) { f in
            try await f.hello("elsewhere", overrides: ["task": "keyroom"], instance: "x")
            #expect(await f.learner.waitForStandardError(containing: "worker elsewhere runs task keyroom, not this run's \(f.configuration.env.task)", timeout: 600),
                    "\(f.learner.standardError.suffix(1500))")
        }
    }

    @Test func theWorkerCommandRejectsAnInvalidIdNamingTheRule() async throws {
        let (_, config) = try TinyRun.scratch("peer-worker-id", checkpointInterval: 60)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "a*b"])
        defer { worker.kill() }
        let status = await worker.waitForExit(timeout: 600)
        #expect(status != 0 && status != nil)
        #expect(worker.standardError.contains("--id \"a*b\": a worker id is 1-\(PeerID.maxLength) characters"), "\(worker.standardError.suffix(1500))")
    }
}
