import CCRC32C
import Foundation

/// Writes scalars as a TensorBoard event file (`events.out.tfevents.<time>.<host>`), so that
/// `tensorboard --logdir runs/` shows a run's curves by env step.
///
/// The format: TFRecord framing (u64 length, masked CRC-32C of the length, the data, masked CRC-32C
/// of the data) around `Event` protocol buffers: wall_time (1, double), step (2, int64),
/// file_version (3, string, first record "brain.Event:2"), summary (5) of `Value`s with tag (1,
/// string) and simple_value (2, float), session_log (7) with status (1, enum; START = 1). Only these
/// fields are written, by hand: no protobuf library.
public final class TensorBoardLog: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()
    /// The file written.
    public let url: URL

    /// Creates `directory` and a new event file in it. `sessionStart`: the env step a training
    /// session starts from, written as a SessionLog START event. TensorBoard takes a second START
    /// in a run's files as a restart and drops the earlier files' points at or after its step, so
    /// a run resumed from an older checkpoint draws one timeline, not the lost steps beside the
    /// new ones. (A log that only adds points, like `evaluate --tensorboard`'s, passes nil.)
    /// `name`: the file's name after `events.out.tfevents.` (default: the wall time, host and
    /// process id); a file of that name is replaced.
    public init(directory: URL, name: String? = nil, wallTime: Double = Date().timeIntervalSince1970, sessionStart: Int64? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        url = directory.appendingPathComponent("events.out.tfevents." + (name ?? "\(Int(wallTime)).\(host).\(getpid())"))
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        var event = ProtoWriter()
        event.double(field: 1, wallTime)
        event.string(field: 3, "brain.Event:2")
        try append(record: event.bytes)
        if let sessionStart {
            var sessionLog = ProtoWriter()
            sessionLog.varint(field: 1, 1)  // SessionLog.START
            var start = ProtoWriter()
            start.double(field: 1, wallTime)
            start.varint(field: 2, UInt64(bitPattern: sessionStart))
            start.message(field: 7, sessionLog.bytes)
            try append(record: start.bytes)
        }
    }

    deinit { try? handle.close() }

    /// One event holding every finite value as a scalar at `step`.
    public func write(step: Int64, wallTime: Double, scalars: [(String, Double)]) throws {
        var summary = ProtoWriter()
        for (tag, value) in scalars where value.isFinite {
            var v = ProtoWriter()
            v.string(field: 1, tag)
            v.float(field: 2, Float(value))
            summary.message(field: 1, v.bytes)
        }
        var event = ProtoWriter()
        event.double(field: 1, wallTime)
        event.varint(field: 2, UInt64(bitPattern: step))
        event.message(field: 5, summary.bytes)
        try append(record: event.bytes)
    }

    private func append(record data: [UInt8]) throws {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        out += length
        out += withUnsafeBytes(of: Self.maskedCRC(length).littleEndian) { Array($0) }
        out += data
        out += withUnsafeBytes(of: Self.maskedCRC(data).littleEndian) { Array($0) }
        lock.lock()
        defer { lock.unlock() }
        try handle.appendWhole(Data(out))
    }

    /// TFRecord's masked CRC-32C: rotate right by 15 and add a constant.
    static func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
        let crc = bytes.withUnsafeBytes { yendor_crc32c(0, $0.baseAddress, $0.count) }
        return ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8
    }
}

/// The few protocol-buffer encodings an event needs.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) { rawVarint(UInt64(field) << 3 | wireType) }

    mutating func varint(field: Int, _ value: UInt64) {
        key(field, 0)
        rawVarint(value)
    }

    mutating func double(field: Int, _ value: Double) {
        key(field, 1)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }

    mutating func float(field: Int, _ value: Float) {
        key(field, 5)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }

    mutating func message(field: Int, _ body: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(body.count))
        bytes += body
    }

    mutating func string(field: Int, _ text: String) { message(field: field, Array(text.utf8)) }
}
