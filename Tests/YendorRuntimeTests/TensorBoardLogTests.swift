import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

@Suite struct TensorBoardLogTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv/bin/python")

    /// `FileHandle.write(_:)` traps on an I/O error: a full disk stopped the learner at its next
    /// metrics record. Now the write throws and the learner logs it.
    @Test func aMetricsRecordOnAFullDiskThrowsInsteadOfStoppingTheProcess() throws {
        let full = URL(fileURLWithPath: "/dev/full")
        try #require(FileManager.default.fileExists(atPath: full.path))
        let log = try MetricsLog(url: full)
        #expect(throws: (any Error).self) { try log.write([("time", 1), ("env_steps", 2)]) }
    }

    @Test func protocolBufferEncodingsMatchHandComputedBytes() {
        var w = ProtoWriter()
        w.varint(field: 2, 300)              // key 0x10, 300 = ac 02
        w.string(field: 1, "ab")             // key 0x0a, length 2
        w.float(field: 2, 1.0)               // key 0x15, 00 00 80 3f
        #expect(w.bytes == [0x10, 0xac, 0x02, 0x0a, 0x02, 0x61, 0x62, 0x15, 0x00, 0x00, 0x80, 0x3f])
        // TFRecord's mask of CRC-32C("123456789") = 0xE3069283: rotr 15, plus 0xa282ead8.
        let crc: UInt32 = 0xE306_9283
        #expect(TensorBoardLog.maskedCRC(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8)
    }

    /// The real `tensorboard` package (in .venv) reads back what a metrics log wrote.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python.path), "needs .venv (make deps)"))
    func tensorBoardReadsTheScalarsByEnvStep() async throws {
        let dir = Scratch.root.appendingPathComponent("tb-\(UUID().uuidString)")
        let log = try MetricsLog(url: dir.appendingPathComponent("metrics.jsonl"),
                                 tensorBoard: try TensorBoardLog(directory: dir.appendingPathComponent("tensorboard")))
        for k in 1...3 {
            try log.write([("time", 1_000 + Double(k)), ("env_steps", Double(k * 512)), ("rollout/sps", Double(k) * 100.5),
                       ("learner/loss/policy", -0.25 * Double(k)), ("learner/nan", .nan)])
        }
        let reader = try ChildProcess(executable: Self.python, arguments: [
            Self.repository.appendingPathComponent("scripts/read_tensorboard.py").path, dir.appendingPathComponent("tensorboard").path])
        #expect(await reader.waitForExit(timeout: 600) == 0, "\(reader.standardError)")
        let json = try #require(reader.lines.first { $0.hasPrefix("{") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: [[Double]]]])
        let tags = try #require(object["tags"])
        #expect(Set(tags.keys) == ["rollout/sps", "learner/loss/policy"], "non-finite values are skipped")
        #expect(tags["rollout/sps"]! == [[512, 100.5], [1024, 201], [1536, 301.5]])
        #expect(tags["learner/loss/policy"]!.map { $0[0] } == [512, 1024, 1536])
        #expect(tags["learner/loss/policy"]!.map { $0[1] } == [-0.25, -0.5, -0.75])
    }
    /// A disk that fills up in the middle of a record (trial Y, a tmpfs): what fits is written and
    /// then the write fails. Before, that fragment stayed, the next record was glued to it, and
    /// TensorBoard's reader stopped at it for good. Now a failed record is cut back: once there is
    /// space again every line is JSON and TensorBoard reads on to the last record.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python.path) && SmallDisk.available, "needs .venv and root (a tmpfs)"))
    func aDiskThatFillsUpMidRecordLeavesNoTornRecord() async throws {
        let disk = try SmallDisk(size: "256k", name: "tb-full")
        defer { disk.unmount() }
        let dir = disk.url
        let board = dir.appendingPathComponent("tensorboard")
        let log = try MetricsLog(url: dir.appendingPathComponent("metrics.jsonl"), tensorBoard: try TensorBoardLog(directory: board))
        func record(_ k: Int) throws {
            try log.write([("time", 1_000 + Double(k)), ("env_steps", Double(k * 512)), ("rollout/sps", Double(k)),
                           ("learner/loss/policy", -0.25 * Double(k)), ("learner/loss/value", 0.5 * Double(k))])
        }
        for k in 1...3 { try record(k) }
        try disk.fill()
        // Records written into the tails until they fail partway (the long lines cross pages).
        var failed = 0
        for k in 4...60 where (try? record(k)) == nil { failed += 1 }
        #expect(failed > 0, "the disk was full")
        try disk.free()
        for k in 61...63 { try record(k) }

        let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let notJSON = lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil }
        #expect(notJSON.isEmpty, "torn lines: \(notJSON.prefix(3))")
        #expect(Array(lines.suffix(3)).allSatisfy { $0.contains("\"rollout/sps\": 6") })
        let reader = try ChildProcess(executable: Self.python, arguments: [
            Self.repository.appendingPathComponent("scripts/read_tensorboard.py").path, board.path])
        #expect(await reader.waitForExit(timeout: 600) == 0, "\(reader.standardError)")
        let json = try #require(reader.lines.first { $0.hasPrefix("{") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: [[Double]]]])
        let steps = try #require(object["tags"]?["rollout/sps"]).map { $0[0] }
        let last: [Double] = [31_232, 31_744, 32_256]  // steps 61, 62 and 63 × 512
        #expect(Array(steps.suffix(3)) == last, "TensorBoard reads on past the full disk: \(steps)")
        #expect(Array(steps.prefix(3)) == [512, 1024, 1536])
    }

    /// A run killed after 1536 env steps and resumed from its checkpoint at 1024: TensorBoard's
    /// reader shows one timeline, the resumed session's points after 1024 in place of the lost
    /// ones (before, both: the curve stepped back). A killed run that never checkpointed starts
    /// afresh: its points go.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python.path), "needs .venv (make deps)"))
    func aResumedSessionReplacesThePointsAfterItsCheckpointInTensorBoard() async throws {
        let dir = Scratch.root.appendingPathComponent("tb-resume-\(UUID().uuidString)")
        let board = dir.appendingPathComponent("tensorboard")
        func session(start: Int64, wallTime: Double, _ points: [(Int, Double)]) throws {
            let log = try MetricsLog(url: dir.appendingPathComponent("metrics.jsonl"),
                                     tensorBoard: try TensorBoardLog(directory: board, wallTime: wallTime, sessionStart: start + 1))
            for (step, value) in points { try log.write([("time", wallTime + Double(step)), ("env_steps", Double(step)), ("rollout/sps", value)]) }
        }
        func read() async throws -> [[Double]] {
            let reader = try ChildProcess(executable: Self.python, arguments: [
                Self.repository.appendingPathComponent("scripts/read_tensorboard.py").path, board.path])
            #expect(await reader.waitForExit(timeout: 600) == 0, "\(reader.standardError)")
            let json = try #require(reader.lines.first { $0.hasPrefix("{") })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: [[Double]]]])
            return object["tags"]?["rollout/sps"] ?? []
        }
        try session(start: 0, wallTime: 1_000_000, [(512, 1), (1024, 2), (1536, 3)])
        try session(start: 1024, wallTime: 1_000_100, [(1536, 30), (2048, 40)])
        #expect(try await read() == [[512, 1], [1024, 2], [1536, 30], [2048, 40]])
        try session(start: 0, wallTime: 1_000_200, [(512, 500)])
        #expect(try await read() == [[512, 500]])
    }
}
