import Foundation
import Testing
import YendorTestSupport
import YendorVersion
import YendorWire

/// Which Yendor a process runs is said by `--version`, in each role's log as it starts, and, for a
/// worker, in the learner's log as it joins: binaries of a rolling upgrade all speak one wire
/// protocol, so nothing else tells them apart (trial Z).
@Suite("Which Yendor a process runs")
struct VersionTests {
    static let line = "yendor \(YendorVersion.description), wire protocol \(Envelope.version)"

    @Test func versionNamesTheReleaseTheCommitAndTheWireProtocol() async throws {
        let yendor = try ChildProcess(yendor: ["--version"])
        #expect(await yendor.waitForExit(timeout: 600) == 0)
        #expect(yendor.lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) == Self.line)
    }

    @Test func theCommitIsTheOneThisCheckoutIsAt() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", root.path, "describe", "--always", "--abbrev=12"]
        let out = Pipe()
        git.standardOutput = out
        git.standardError = FileHandle.nullDevice
        try git.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        git.waitUntilExit()
        if git.terminationStatus == 0 && !text.isEmpty {
            // `-dirty` after it when the sources differ from the commit.
            #expect(YendorVersion.commit == text || YendorVersion.commit == text + "-dirty", "built \(YendorVersion.commit), checkout at \(text)")
        } else {
            #expect(YendorVersion.commit == "unknown")
        }
    }

    @Test func aLearnerLogsTheVersionEachWorkerRunsAsItJoins() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("version")
        let run = dir.appendingPathComponent("run").path
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run] + endpoints)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "versioned"] + endpoints)
        defer {
            worker.kill()
            learner.kill()
        }
        #expect(await learner.waitForStandardError(containing: "worker versioned joined", timeout: 600), "\(learner.standardError.suffix(1500))")
        let joined = learner.standardError.split(separator: "\n").first { $0.contains("worker versioned joined") } ?? ""
        #expect(joined.contains("version=\(YendorVersion.description)"), "\(joined)")
        // Each role's log says, as it starts, which Yendor it is.
        #expect(learner.standardError.contains(Self.line))
        #expect(worker.standardError.contains(Self.line), "\(worker.standardError.prefix(1500))")
    }
}
