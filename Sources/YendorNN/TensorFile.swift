import Foundation

/// A file of named f32 tensors plus an opaque metadata blob: the checkpoint format.
///
/// Layout (all integers little-endian):
/// `"YNDRTNS1"` (8 bytes), metadata length (UInt32), metadata bytes,
/// tensor count (UInt32), then per tensor: name length (UInt16), UTF-8 name,
/// rank (UInt8), rank × dimension (UInt32), element count × f32 bits.
/// Writing goes to a temporary file in the same directory, then `rename`, so a crash
/// never leaves a half-written checkpoint under the final name.
public enum TensorFile {
    static let magic = Array("YNDRTNS1".utf8)

    /// Serialises tensors and metadata to bytes.
    public static func encode(_ tensors: [NamedTensor], metadata: Data) -> Data {
        var out = Data()
        out.append(contentsOf: magic)
        append(UInt32(metadata.count), to: &out)
        out.append(metadata)
        append(UInt32(tensors.count), to: &out)
        for t in tensors {
            let name = Array(t.name.utf8)
            append(UInt16(name.count), to: &out)
            out.append(contentsOf: name)
            out.append(UInt8(t.shape.count))
            for d in t.shape { append(UInt32(d), to: &out) }
            t.values.withUnsafeBufferPointer { v in
                var bits = [UInt32](repeating: 0, count: v.count)
                for i in 0..<v.count { bits[i] = v[i].bitPattern.littleEndian }
                bits.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Parses bytes written by `encode`; any malformed input throws, naming what was wrong.
    public static func decode(_ data: Data) throws -> (tensors: [NamedTensor], metadata: Data) {
        let bytes = [UInt8](data)
        var cursor = 0
        func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
            guard n >= 0, bytes.count - cursor >= n else {
                throw NNError.malformedTensorFile("truncated while reading \(what) at byte \(cursor)")
            }
            defer { cursor += n }
            return bytes[cursor..<(cursor + n)]
        }
        func integer(_ n: Int, _ what: String) throws -> Int {
            var value = 0
            for (i, b) in try take(n, what).enumerated() { value |= Int(b) << (8 * i) }
            return value
        }
        guard Array(try take(8, "magic")) == magic else { throw NNError.malformedTensorFile("bad magic (not a Yendor tensor file)") }
        let metadata = Data(try take(try integer(4, "metadata length"), "metadata"))
        let count = try integer(4, "tensor count")
        var tensors: [NamedTensor] = []
        for index in 0..<count {
            guard let name = String(bytes: try take(try integer(2, "name length"), "name"), encoding: .utf8) else {
                throw NNError.malformedTensorFile("tensor \(index) name is not UTF-8")
            }
            let rank = try integer(1, "rank of \(name)")
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try integer(4, "shape of \(name)")) }
            // Checked: a corrupt shape's product can overflow (and a wrapped one look small).
            var elements = 1, overflow = false
            for d in shape where !overflow { (elements, overflow) = elements.multipliedReportingOverflow(by: d) }
            guard !overflow, elements <= (bytes.count - cursor) / 4 else {
                throw NNError.malformedTensorFile("tensor \(name) with shape \(shape) is larger than the remaining file")
            }
            let raw = try take(elements * 4, "values of \(name)")
            var values = [Float](repeating: 0, count: elements)
            raw.withUnsafeBytes { src in
                for i in 0..<elements { values[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
            }
            tensors.append(NamedTensor(name: name, shape: shape, values: values))
        }
        guard cursor == bytes.count else { throw NNError.malformedTensorFile("\(bytes.count - cursor) trailing bytes") }
        return (tensors, metadata)
    }

    /// Writes atomically: temporary file in the same directory, then rename over `url`.
    public static func write(_ tensors: [NamedTensor], metadata: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try encode(tensors, metadata: metadata).write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            // The kernel's reason under it, as Foundation's own write errors carry it (trial C: a
            // bare "NSCocoaErrorDomain error 512").
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                           NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(code))])
        }
    }

    /// Reads a file written by `write`.
    public static func read(from url: URL) throws -> (tensors: [NamedTensor], metadata: Data) {
        try decode(try Data(contentsOf: url))
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }
}
