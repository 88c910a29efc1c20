import Foundation
import Testing
import YendorWire
@testable import YendorReplay
import YendorTestSupport

@Suite struct CheckpointTests {
    /// A fresh directory per test, removed by the caller.
    func temporaryDirectory() throws -> URL {
        let url = Scratch.root.appendingPathComponent("yendor-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A buffer that has seen inserts, evictions, consumption and priority updates.
    func usedBuffer(_ configuration: ReplayBuffer.Configuration) throws -> ReplayBuffer {
        var buffer = try ReplayBuffer(configuration: configuration)
        for i in 1...12 { _ = try buffer.insert(testBatch(i, steps: 1 + i % 3, envs: 2), priority: Double(i % 4 + 1)) }
        _ = buffer.sample(count: 5)
        try buffer.updatePriorities(buffer.keys.prefix(3).map { (key: $0, priority: Double($0) / 2) })
        _ = buffer.sample(count: 3)
        _ = try buffer.insert(testBatch(13))
        return buffer
    }

    static let configurations: [ReplayBuffer.Configuration] = [
        .init(capacity: 8, fullPolicy: .dropOldest, sampler: .prioritized(alpha: 0.6, beta: 0.4), maxTimesSampled: 3, seed: 42),
        .init(capacity: 8, fullPolicy: .dropOldest, sampler: .uniform, maxTimesSampled: 2, seed: 9),
        .init(capacity: 16, fullPolicy: .block, sampler: .fifo, maxTimesSampled: 1, seed: 0),
    ]

    @Test(arguments: configurations)
    func roundTripRestoresTheExactStateAndSamplingContinuesIdentically(configuration: ReplayBuffer.Configuration) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("replay.ckpt")
        var original = try usedBuffer(configuration)
        try original.write(to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["replay.ckpt"], "no temporary file left")

        var restored = try ReplayBuffer.read(from: url, configuration: configuration)
        #expect(restored.items == original.items)
        #expect(restored.keys == original.keys)
        #expect(restored.statistics == original.statistics)
        #expect(restored.generator == original.generator)
        #expect(restored.nextKey == original.nextKey)
        #expect(restored.maxPriority == original.maxPriority)
        #expect(restored.tree == original.tree)

        for round in 0..<6 {
            let a = original.sample(count: 2), b = restored.sample(count: 2)
            #expect(a == b, "round \(round)")
            #expect(try original.insert(testBatch(100 + round)) == restored.insert(testBatch(100 + round)))
        }
        #expect(restored.statistics == original.statistics)
    }

    @Test func writingReplacesAnOlderCheckpoint() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("replay.ckpt")
        let configuration = ReplayBuffer.Configuration(capacity: 4)
        var buffer = try ReplayBuffer(configuration: configuration)
        _ = try buffer.insert(testBatch(1))
        try buffer.write(to: url)
        _ = try buffer.insert(testBatch(2))
        try buffer.write(to: url)
        #expect(try ReplayBuffer.read(from: url, configuration: configuration).keys == [1, 2])
    }

    /// The bytes of a small valid checkpoint.
    func validCheckpoint(in dir: URL) throws -> (URL, [UInt8]) {
        let url = dir.appendingPathComponent("replay.ckpt")
        var buffer = try ReplayBuffer(configuration: .init(capacity: 4))
        _ = try buffer.insert(testBatch(1))
        _ = try buffer.insert(testBatch(2))
        try buffer.write(to: url)
        return (url, [UInt8](try Data(contentsOf: url)))
    }

    /// Reads `bytes` as a checkpoint and returns the error's description; records an issue if it loads
    /// or fails with another kind of error than `corruptCheckpoint`.
    func corruptionMessage(_ bytes: [UInt8], at url: URL, configuration: ReplayBuffer.Configuration = .init(capacity: 4)) throws -> String {
        try Data(bytes).write(to: url)
        do {
            _ = try ReplayBuffer.read(from: url, configuration: configuration)
            Issue.record("corrupt checkpoint loaded")
            return ""
        } catch let error as ReplayError {
            guard case .corruptCheckpoint(let file, _) = error else {
                Issue.record("expected corruptCheckpoint, got \(error)")
                return ""
            }
            #expect(file == url.path)
            #expect(error.description.contains(url.path))
            return error.description
        }
    }

    /// Rewrites the header's body checksum so a body edit gets past the checksum check.
    func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        let crc = CRC32C.checksum(Array(bytes[24...]))
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(16..<20, with: $0) }
        return bytes
    }

    @Test func corruptCheckpointsAreRejectedWithTheFileAndTheProblemNamed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (url, good) = try validCheckpoint(in: dir)

        #expect(try corruptionMessage([], at: url).contains("truncated header"))
        #expect(try corruptionMessage(Array(good.dropLast(10)), at: url).contains("truncated"))
        #expect(try corruptionMessage(good + [0], at: url).contains("unexpected bytes"))

        var badMagic = good
        badMagic[0] = 0x58
        #expect(try corruptionMessage(badMagic, at: url).contains("bad magic"))

        var badVersion = good
        badVersion[4] = 2
        #expect(try corruptionMessage(badVersion, at: url).contains("format version 2"))

        var flipped = good
        flipped[good.count / 2] ^= 0x10
        #expect(try corruptionMessage(flipped, at: url).contains("checksum mismatch"))

        // Past the checksum: a frame byte changed (its own envelope checksum catches it).
        var badFrame = good
        badFrame[good.count - 5] ^= 0xFF
        #expect(try corruptionMessage(resealed(badFrame), at: url).contains("item 1 (key 2) batch does not decode"))

        // Past the checksum: an absurd item count is refused before anything is allocated.
        // Body offsets: next key 0, generator 8, max priority 16, counters 24..<88, item count 88.
        var hugeCount = good
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { hugeCount.replaceSubrange(24 + 88..<24 + 96, with: $0) }
        #expect(try corruptionMessage(resealed(hugeCount), at: url).contains("item count"))

        // Past the checksum: a duplicate key.
        var duplicate = good
        let secondItem = 24 + 96 + 32 + Int(UInt64(littleEndian: good.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 24 + 96 + 24, as: UInt64.self) }))
        duplicate[secondItem] = 1
        #expect(try corruptionMessage(resealed(duplicate), at: url).contains("repeats key 1"))
    }

    @Test func everyTruncationIsACorruptCheckpointErrorNeverACrash() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (url, good) = try validCheckpoint(in: dir)
        for length in stride(from: 0, to: good.count, by: 7) {
            _ = try corruptionMessage(Array(good.prefix(length)), at: url)
            // Truncated bodies resealed with a matching header get past the checksum too.
            if length > 24 {
                var cut = resealed(Array(good.prefix(length)))
                withUnsafeBytes(of: UInt64(length - 24).littleEndian) { cut.replaceSubrange(8..<16, with: $0) }
                _ = try corruptionMessage(resealed(cut), at: url)
            }
        }
    }

    @Test func missingFileAndMismatchedConfigurationGiveTheirOwnErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("absent.ckpt")
        #expect {
            try ReplayBuffer.read(from: missing, configuration: .init())
        } throws: { error in
            guard case .checkpointIO(let file, _) = error as? ReplayError else { return false }
            return file == missing.path
        }
        let unwritable = dir.appendingPathComponent("no-such-dir/replay.ckpt")
        #expect {
            try ReplayBuffer(configuration: .init()).write(to: unwritable)
        } throws: { error in
            guard case .checkpointIO(let file, _) = error as? ReplayError else { return false }
            return file == unwritable.path
        }
        let (url, _) = try validCheckpoint(in: dir)
        #expect {
            try ReplayBuffer.read(from: url, configuration: .init(capacity: 1))
        } throws: { error in
            guard case .incompatibleCheckpoint(_, let reason) = error as? ReplayError else { return false }
            return reason.contains("configuration.capacity is 1")
        }
    }
}
