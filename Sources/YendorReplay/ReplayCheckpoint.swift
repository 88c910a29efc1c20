import Foundation
import YendorWire

/// Checkpoint file layout, version 1, all integers little-endian (docs/replay.md has the table):
///
///     header, 24 bytes: "YRPL", u16 version, u16 zero, u64 body length, u32 CRC32C(body), u32 zero
///     body: u64 next key, u64 generator state, f64 max priority, 8 × u64 counters,
///           u64 item count, then per item: u64 key, f64 priority, u64 times sampled,
///           u64 frame length, the batch's wire frame (envelope included)
///
/// Items are written in the buffer's internal order, so uniform draws after a restore pick the
/// same items as the original buffer would have.
enum ReplayCheckpoint {
    static let magic: [UInt8] = Array("YRPL".utf8)
    static let version: UInt16 = 1
    static let headerSize = 24
    /// Fixed bytes per item before its frame.
    static let itemHeaderSize = 32
}

extension ReplayBuffer {
    /// Writes the buffer's contents (items with keys, priorities and times sampled; counters;
    /// the sampling generator's state) to `url` atomically: a temporary file in the same
    /// directory, flushed, then renamed over `url`. A crash mid-write leaves the old file intact.
    public func write(to url: URL) throws {
        var body = CheckpointWriter()
        body.write(nextKey)
        body.write(generator.state)
        body.write(maxPriority.bitPattern)
        for counter in [statistics.inserted, statistics.sampled, statistics.evicted, statistics.consumed,
                        statistics.refusedFull, statistics.refusedRateLimited, statistics.refusedTooLarge,
                        statistics.refusedSamples] {
            body.write(counter)
        }
        body.write(UInt64(items.count))
        for item in items {
            let frame = item.trajectory.encoded()
            body.write(item.key)
            body.write(item.priority.bitPattern)
            body.write(UInt64(item.timesSampled))
            body.write(UInt64(frame.count))
            body.bytes.append(contentsOf: frame)
        }
        var file = CheckpointWriter()
        file.bytes.append(contentsOf: ReplayCheckpoint.magic)
        file.write(ReplayCheckpoint.version)
        file.write(UInt16(0))
        file.write(UInt64(body.bytes.count))
        file.write(CRC32C.checksum(body.bytes))
        file.write(UInt32(0))
        file.bytes.append(contentsOf: body.bytes)
        try Self.writeAtomically(file.bytes, to: url)
    }

    static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let path = url.path
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
        do {
            guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                throw ReplayError.checkpointIO(file: path, reason: "cannot create temporary file \(temporary)")
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: Data(bytes))
            try handle.synchronize()
        } catch let error as ReplayError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ReplayError.checkpointIO(file: path, reason: "writing \(temporary): \(error.localizedDescription)")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw ReplayError.checkpointIO(file: path, reason: "renaming \(temporary) into place: \(reason)")
        }
    }

    /// A buffer with `configuration` holding the checkpoint's contents, counters and generator
    /// state (the state wins over `configuration.seed`, so sampling continues where it stopped).
    /// Errors name the file and what was wrong: `checkpointIO` when it cannot be read,
    /// `corruptCheckpoint` when its bytes are invalid, `incompatibleCheckpoint` when it does not fit
    /// `configuration` (too many items or steps, items sampled more than `maxTimesSampled`).
    public static func read(from url: URL, configuration: Configuration,
                            limits: WireLimits = .default) throws -> ReplayBuffer {
        let path = url.path
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw ReplayError.checkpointIO(file: path, reason: "cannot read: \(error.localizedDescription)")
        }
        func corrupt(_ reason: String) -> ReplayError { .corruptCheckpoint(file: path, reason: reason) }
        func incompatible(_ reason: String) -> ReplayError { .incompatibleCheckpoint(file: path, reason: reason) }

        var header = CheckpointReader(bytes[...])
        guard bytes.count >= ReplayCheckpoint.headerSize else {
            throw corrupt("truncated header: \(bytes.count) bytes, a header needs \(ReplayCheckpoint.headerSize)")
        }
        let magic = try header.bytes(4, "magic").map { $0 }
        guard magic == ReplayCheckpoint.magic else {
            throw corrupt("bad magic \(magic.map { String($0, radix: 16) }.joined(separator: " ")) (expected \"YRPL\"); not a replay checkpoint")
        }
        let version = try header.read(UInt16.self, "version")
        guard version == ReplayCheckpoint.version else {
            throw corrupt("format version \(version), this build reads version \(ReplayCheckpoint.version)")
        }
        guard try header.read(UInt16.self, "reserved") == 0 else { throw corrupt("reserved header bytes 6-7 are not zero") }
        let bodyLength = try header.read(UInt64.self, "body length")
        let crc = try header.read(UInt32.self, "checksum")
        guard try header.read(UInt32.self, "reserved") == 0 else { throw corrupt("reserved header bytes 20-23 are not zero") }
        let available = bytes.count - ReplayCheckpoint.headerSize
        guard bodyLength == UInt64(available) else {
            throw corrupt(bodyLength > UInt64(available)
                          ? "truncated: header declares \(bodyLength) body bytes, file has \(available)"
                          : "\(UInt64(available) - bodyLength) unexpected bytes after the declared \(bodyLength)-byte body")
        }
        let body = bytes[ReplayCheckpoint.headerSize...]
        let actual = body.withUnsafeBytes { CRC32C.checksum($0) }
        guard actual == crc else {
            throw corrupt("checksum mismatch: header says \(String(crc, radix: 16)), body has \(String(actual, radix: 16))")
        }

        var buffer = try ReplayBuffer(configuration: configuration)
        do {
            var r = CheckpointReader(body)
            let nextKey = try r.read(UInt64.self, "next key")
            buffer.generator.state = try r.read(UInt64.self, "generator state")
            let maxPriority = Double(bitPattern: try r.read(UInt64.self, "max priority"))
            guard maxPriority.isFinite, maxPriority > 0 else { throw corrupt("max priority is \(maxPriority)") }
            var s = ReplayStatistics()
            s.inserted = try r.read(UInt64.self, "counter inserted")
            s.sampled = try r.read(UInt64.self, "counter sampled")
            s.evicted = try r.read(UInt64.self, "counter evicted")
            s.consumed = try r.read(UInt64.self, "counter consumed")
            s.refusedFull = try r.read(UInt64.self, "counter refused full")
            s.refusedRateLimited = try r.read(UInt64.self, "counter refused rate-limited")
            s.refusedTooLarge = try r.read(UInt64.self, "counter refused too large")
            s.refusedSamples = try r.read(UInt64.self, "counter refused samples")
            let itemCount = try r.read(UInt64.self, "item count")
            // Checked against the bytes left before anything is allocated for the items.
            guard itemCount <= UInt64(r.remaining / ReplayCheckpoint.itemHeaderSize) else {
                throw corrupt("item count \(itemCount) cannot fit in the \(r.remaining) bytes left")
            }
            guard itemCount <= UInt64(configuration.capacity) else {
                throw incompatible("holds \(itemCount) items, configuration.capacity is \(configuration.capacity)")
            }
            var seen = Set<UInt64>()
            for i in 0..<Int(itemCount) {
                let key = try r.read(UInt64.self, "item \(i) key")
                let priority = Double(bitPattern: try r.read(UInt64.self, "item \(i) priority"))
                let timesSampled = try r.read(UInt64.self, "item \(i) times sampled")
                let frameLength = try r.read(UInt64.self, "item \(i) frame length")
                guard key >= 1, key < nextKey else { throw corrupt("item \(i) has key \(key), outside 1..<\(nextKey)") }
                guard seen.insert(key).inserted else { throw corrupt("item \(i) repeats key \(key)") }
                guard priority.isFinite, priority > 0 else { throw corrupt("item \(i) (key \(key)) has priority \(priority)") }
                guard timesSampled <= UInt64(Int32.max) else { throw corrupt("item \(i) (key \(key)) sampled \(timesSampled) times") }
                guard frameLength <= UInt64(r.remaining) else {
                    throw corrupt("truncated: item \(i) (key \(key)) frame needs \(frameLength) bytes, \(r.remaining) left")
                }
                let frame = try r.bytes(Int(frameLength), "item \(i) frame")
                let trajectory: TrajectoryFrame
                do {
                    trajectory = try TrajectoryFrame(checking: Array(frame), limits: limits)
                } catch {
                    throw corrupt("item \(i) (key \(key)) batch does not decode: \(error)")
                }
                if let m = configuration.maxTimesSampled, timesSampled >= UInt64(m) {
                    throw incompatible("item \(i) (key \(key)) was sampled \(timesSampled) times, configuration.maxTimesSampled is \(m)")
                }
                buffer.append(Item(key: key, trajectory: .frame(trajectory), priority: priority, timesSampled: Int(timesSampled),
                                   steps: trajectory.steps * trajectory.envs))
            }
            guard r.remaining == 0 else { throw corrupt("\(r.remaining) unexpected bytes after the last item") }
            if let cap = configuration.capacityInSteps, buffer.steps > cap {
                throw incompatible("holds \(buffer.steps) steps, configuration.capacityInSteps is \(cap)")
            }
            buffer.order = buffer.items.map(\.key).sorted()
            buffer.nextKey = nextKey
            buffer.maxPriority = maxPriority
            s.size = buffer.items.count
            s.steps = buffer.statistics.steps
            buffer.statistics = s
        } catch let error as CheckpointReader.Truncated {
            throw corrupt("truncated: \(error.field) needs \(error.needed) bytes, \(error.available) left")
        }
        return buffer
    }
}

/// Appends little-endian integers.
struct CheckpointWriter {
    var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads little-endian integers from a slice, throwing `Truncated` instead of reading past the end.
struct CheckpointReader {
    struct Truncated: Error {
        var field: String
        var needed: Int
        var available: Int
    }

    private let data: ArraySlice<UInt8>
    private var offset: Int

    init(_ data: ArraySlice<UInt8>) {
        self.data = data
        offset = data.startIndex
    }

    var remaining: Int { data.endIndex - offset }

    mutating func bytes(_ n: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw Truncated(field: field, needed: n, available: remaining) }
        defer { offset += n }
        return data[offset..<offset + n]
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws -> T {
        let slice = try bytes(MemoryLayout<T>.size, field)
        var value = T.zero
        for (i, byte) in slice.enumerated() { value |= T(byte) << (8 * i) }
        return value
    }
}
