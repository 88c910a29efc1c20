import Foundation
import Testing
import YendorTestSupport

/// A role whose run directory cannot be written says so at its start, naming the file and the
/// kernel's reason, with exit status 1: a full or read-only disk is the machine's problem, not a
/// setting's (it was "configuration error in run.dir", exit 64, or a Foundation error's dictionary,
/// and the replay role started, took trajectories and lost them all at its stop; trial Y).
@Suite("A role starting on a full disk", .serialized, .enabled(if: SmallDisk.available, "needs root (a tmpfs)"))
struct RoleStartOnAFullDiskTests {
    static func expectRefused(_ role: ChildProcess, sourceLocation: SourceLocation = #_sourceLocation) async {
        #expect(await role.waitForExit(timeout: 600) == 1, "\(role.standardError.suffix(1500))", sourceLocation: sourceLocation)
        let said = role.standardError
        #expect(said.contains("Error: cannot write ") && said.contains("No space left on device"), "\(said.suffix(1500))", sourceLocation: sourceLocation)
        #expect(!said.contains("configuration error") && !said.contains("NSCocoaErrorDomain"), "\(said.suffix(1500))", sourceLocation: sourceLocation)
    }

    @Test func aLearnerStartingOnAFullDiskSaysWhatItCouldNotWrite() async throws {
        let (_, config, endpoints) = try TrainingEndToEndTests.scratch("full-disk-learner")
        let disk = try SmallDisk(size: "256k")
        defer { disk.unmount() }
        try disk.fill()
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", disk.url.appendingPathComponent("run").path] + endpoints)
        defer { learner.kill() }
        await Self.expectRefused(learner)
        #expect(!learner.standardError.contains("learner listening"))
    }

    @Test func aReplayRoleDoesNotStartOnADiskThatCannotTakeItsBuffer() async throws {
        let (_, config, endpoints) = try TrainingEndToEndTests.scratch("full-disk-replay")
        let disk = try SmallDisk(size: "256k")
        defer { disk.unmount() }
        try disk.fill()
        let replay = try ChildProcess(yendor: ["replay", "--config", config, "--run-dir", disk.url.appendingPathComponent("replay").path] + endpoints
                                      + ["--set", "transport.replay=tcp://127.0.0.1:\(ChildProcess.freePort())"])
        defer { replay.kill() }
        await Self.expectRefused(replay)
        #expect(!replay.standardError.contains("replay listening"))
        // Nothing of the check is left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: disk.url.appendingPathComponent("replay").path)
        #expect(!left.contains { $0.hasPrefix(".write-check") }, "\(left)")
    }
}
