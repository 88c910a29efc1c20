import Foundation
import Logging
import Testing
import YendorLearner
@testable import YendorRuntime
import YendorTestSupport

/// What a resume finds after a crash or a disk error: never a silent fresh start, and never a
/// save that deletes the checkpoint `latest` names before its successor is in place.
@Suite("Checkpoints")
struct CheckpointsTests {
    static func scratch() throws -> Checkpoints {
        let dir = Scratch.root.appendingPathComponent("yendor-ckpt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return Checkpoints(directory: dir)
    }

    static func learner() throws -> APPOLearner {
        let c = try InMemoryRoleTests.configuration()
        return try APPOLearner(configuration: c.resolvedLearner, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func state(_ steps: UInt64) -> Checkpoints.State {
        .init(envSteps: steps, episodes: 0, updates: 0, policyVersion: 0, modelSignature: "m")
    }

    /// A learner killed while it wrote its replay buffer left `replay.ckpt.tmp-PID`, as large as the
    /// buffer, through every later start and stop (trial N): the next process to take the
    /// directory removes such leftovers, and nothing else.
    @Test func takingARunDirectoryRemovesWhatWritesCutShortLeft() throws {
        let run = try RunDirectory(path: Scratch.path + "yendor-torn-\(UUID().uuidString.prefix(8))")
        let fm = FileManager.default
        let torn = [run.checkpoints.appendingPathComponent("replay.ckpt.tmp-4242"),
                    run.checkpoints.appendingPathComponent(".replay.ckpt.tmp-4242"),
                    run.root.appendingPathComponent(".config.yaml.tmp-17"),
                    run.checkpoints.appendingPathComponent(".ckpt-6400.tmp-4242/policy.tensors")]
        let kept = [run.checkpoints.appendingPathComponent("replay.ckpt"), run.root.appendingPathComponent("notes.tmp-draft"),
                    run.root.appendingPathComponent("results-2026.tmp-2026"),
                    run.checkpoints.appendingPathComponent("ckpt-6400/policy.tensors")]
        for file in torn + kept {
            try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            #expect(fm.createFile(atPath: file.path, contents: Data([1, 2, 3])))
        }
        let lock = try run.lock()
        defer { withExtendedLifetime(lock) {} }
        for file in torn { #expect(!fm.fileExists(atPath: file.path), "\(file.path)") }
        #expect(!fm.fileExists(atPath: run.checkpoints.appendingPathComponent(".ckpt-6400.tmp-4242").path))
        for file in kept { #expect(fm.fileExists(atPath: file.path), "\(file.path)") }
    }

    @Test func aSaveAtTheSameStepCountKeepsTheEarlierOneUntilItsSuccessorIsIn() throws {
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        let first = try checkpoints.save(learner: learner, state: Self.state(100))
        let second = try checkpoints.save(learner: learner, state: Self.state(100))  // e.g. a restart at the budget
        #expect(first.lastPathComponent == "ckpt-100" && second.lastPathComponent == "ckpt-100.1")
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-100.1")
        #expect(FileManager.default.fileExists(atPath: first.path), "kept: one of the three newest")
    }

    /// The learner writes a checkpoint's slow part on a thread of its own while training goes on:
    /// until that is done, the checkpoint is not one a resume finds.
    @Test func aStagedCheckpointIsNotTheLatestUntilItIsCommitted() throws {
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        try checkpoints.save(learner: learner, state: Self.state(100))
        let staged = try checkpoints.stage(learner: learner, state: Self.state(200))
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-100")
        #expect(checkpoints.all().map(\.directory.lastPathComponent) == ["ckpt-100"])
        let second = try checkpoints.commit(staged) { dir in try Data("rewards".utf8).write(to: dir.appendingPathComponent("rewards.ckpt")) }
        #expect(second.lastPathComponent == "ckpt-200")
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-200")
        #expect(FileManager.default.fileExists(atPath: second.appendingPathComponent("rewards.ckpt").path))
        #expect(!FileManager.default.fileExists(atPath: staged.temp.path))
    }

    /// A checkpoint whose slow part fails (a full disk while the reward model's state is written)
    /// leaves the one before it the latest, and the next save removes what it left.
    @Test func aCommitThatFailsLeavesThePreviousCheckpointTheLatest() throws {
        struct DiskFull: Error {}
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        try checkpoints.save(learner: learner, state: Self.state(100))
        let staged = try checkpoints.stage(learner: learner, state: Self.state(200))
        #expect(throws: DiskFull.self) { try checkpoints.commit(staged) { _ in throw DiskFull() } }
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-100")
        // Its partial files go with it, not at the next success: on a full disk they ate what was
        // freed for the next attempt (trial C).
        #expect(!FileManager.default.fileExists(atPath: staged.temp.path))
        try checkpoints.save(learner: learner, state: Self.state(300))
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-300")
        #expect(!FileManager.default.fileExists(atPath: staged.temp.path))
        #expect(checkpoints.all().map(\.directory.lastPathComponent) == ["ckpt-100", "ckpt-300"])
    }

    /// A full disk can fail the write of `latest` after the checkpoint it would name is complete:
    /// the commit says so, and a resume takes that checkpoint (before, it went back to the one
    /// `latest` still named, 13K steps earlier in trial Y). Written before the one `latest` names
    /// (an older run's, in a directory where a run started afresh), a checkpoint is not taken.
    @Test func aCompleteCheckpointThatLatestDoesNotNameIsResumedFromWhenItIsNewer() throws {
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        let fm = FileManager.default
        let first = try checkpoints.save(learner: learner, state: Self.state(100))
        let staged = try checkpoints.stage(learner: learner, state: Self.state(200))
        // `latest` cannot be replaced: a directory with something in it stands there.
        let pointer = checkpoints.directory.appendingPathComponent("latest")
        try fm.removeItem(at: pointer)
        try fm.createDirectory(at: pointer.appendingPathComponent("x"), withIntermediateDirectories: true)
        #expect { try checkpoints.commit(staged) } throws: {
            $0.localizedDescription.contains("ckpt-200 is complete, but checkpoints/latest could not be made to name it")  // as the learner logs it
        }
        try fm.removeItem(at: pointer)
        try Data("ckpt-100".utf8).write(to: pointer)  // what it still named
        let second = checkpoints.directory.appendingPathComponent("ckpt-200")
        let now = Date()
        try fm.setAttributes([.modificationDate: now - 60], ofItemAtPath: first.appendingPathComponent("state.json").path)
        try fm.setAttributes([.modificationDate: now], ofItemAtPath: second.appendingPathComponent("state.json").path)
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-200")
        // Written earlier than the named one, a checkpoint with more steps is an older run's.
        try fm.setAttributes([.modificationDate: now - 120], ofItemAtPath: second.appendingPathComponent("state.json").path)
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-100")
        // Written later with fewer steps (a file of an older checkpoint rewritten), neither.
        try fm.setAttributes([.modificationDate: now], ofItemAtPath: first.appendingPathComponent("state.json").path)
        try Data("ckpt-200".utf8).write(to: pointer)
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-200")
    }

    @Test func aMissingOrUnreadableLatestFallsBackToTheNewestThatReads() throws {
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        try checkpoints.save(learner: learner, state: Self.state(100))
        let newest = try checkpoints.save(learner: learner, state: Self.state(200))
        try Data("{".utf8).write(to: newest.appendingPathComponent("state.json"))  // a torn write
        let found = try #require(try checkpoints.latest())
        #expect(found.directory.lastPathComponent == "ckpt-100" && found.state.envSteps == 100)
        #expect(found.skipped == ["ckpt-200"])
        // `latest` naming a directory that is gone (a crash between a delete and a move, before).
        try Data("ckpt-400".utf8).write(to: checkpoints.directory.appendingPathComponent("latest"))
        #expect(try checkpoints.latest()?.directory.lastPathComponent == "ckpt-100")
    }

    @Test func checkpointsThatAllFailToReadAreAnErrorNotAFreshStart() throws {
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        let only = try checkpoints.save(learner: learner, state: Self.state(100))
        try FileManager.default.removeItem(at: only.appendingPathComponent("learner.ckpt"))
        #expect { try checkpoints.latest() } throws: {
            "\($0)".contains("no checkpoint in") && "\($0)".contains("ckpt-100") && "\($0)".contains("move them away to start afresh")
        }
        // Evaluate has no run to start afresh: its own advice replaces the resume's.
        #expect { try checkpoints.latest(advice: "nothing to evaluate") } throws: { "\($0)".hasSuffix("ckpt-100): nothing to evaluate") }
        let empty = try Self.scratch()
        #expect(try empty.latest() == nil, "a run with no checkpoint starts afresh")
    }

    /// After a run restarted from scratch in the same directory, the older run's checkpoints sort
    /// higher: the one just written must survive the prune, and failed saves' leftovers go.
    @Test func pruneKeepsTheCheckpointJustWrittenAndRemovesLeftoverTemporaries() throws {
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        for steps: UInt64 in [300, 400, 500] { try checkpoints.save(learner: learner, state: Self.state(steps)) }
        let leftover = checkpoints.directory.appendingPathComponent(".ckpt-600.tmp-1")
        try FileManager.default.createDirectory(at: leftover, withIntermediateDirectories: true)
        let fresh = try checkpoints.save(learner: learner, state: Self.state(10))
        #expect(FileManager.default.fileExists(atPath: fresh.path))
        #expect(try checkpoints.latest()?.state.envSteps == 10)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
    }
}

extension CheckpointsTests {
    /// `run.keep_checkpoints` newest are kept, and with `run.milestone_steps` the first checkpoint
    /// in every span of that many env steps as well: the points of a learning curve.
    @Test func aSaveKeepsTheNewestAndTheFirstCheckpointOfEveryMilestoneSpan() throws {
        var checkpoints = try Self.scratch()
        checkpoints.keep = 2
        checkpoints.milestoneSteps = 250
        let learner = try Self.learner()
        for steps in stride(from: UInt64(100), through: 1000, by: 100) { try checkpoints.save(learner: learner, state: Self.state(steps)) }
        // Spans [250, 500) → 300, [500, 750) → 500, [750, 1000) → 800, [1000, 1250) → 1000; newest two 900, 1000.
        #expect(checkpoints.all().map(\.state.envSteps) == [300, 500, 800, 900, 1000])
        checkpoints.milestoneSteps = 0
        try checkpoints.save(learner: learner, state: Self.state(1100))
        #expect(checkpoints.all().map(\.state.envSteps) == [1000, 1100], "without milestones, only the newest two")
    }

    /// A truncated learner.ckpt (a full disk) is passed over like a torn state.json: the resume
    /// died loading it, with two whole checkpoints behind it.
    @Test func aTruncatedLearnerFileIsPassedOverForTheNewestThatReadsWhole() throws {
        let checkpoints = try Self.scratch(), learner = try Self.learner()
        try checkpoints.save(learner: learner, state: Self.state(100))
        let newest = try checkpoints.save(learner: learner, state: Self.state(200))
        let file = newest.appendingPathComponent("learner.ckpt")
        let whole = try Data(contentsOf: file)
        try whole.prefix(whole.count / 2).write(to: file)
        let found = try #require(try checkpoints.latest())
        #expect(found.state.envSteps == 100 && found.skipped == ["ckpt-200"])
        #expect(checkpoints.all().map(\.state.envSteps) == [100])
    }

    /// A directory that only has a checkpoint's name (put there by hand, a torn copy) neither takes
    /// one of the kept slots nor is removed: it took a slot for good, and real ones went.
    @Test func aDirectoryWithACheckpointsNameButNoStateTakesNoSlot() throws {
        var checkpoints = try Self.scratch()
        checkpoints.keep = 2
        let learner = try Self.learner()
        let junk = checkpoints.directory.appendingPathComponent("ckpt-9999999")
        try FileManager.default.createDirectory(at: junk, withIntermediateDirectories: true)
        for steps: UInt64 in [100, 200, 300] { try checkpoints.save(learner: learner, state: Self.state(steps)) }
        #expect(checkpoints.all().map(\.state.envSteps) == [200, 300])
        #expect(FileManager.default.fileExists(atPath: junk.path))
    }
}
