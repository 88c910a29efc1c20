/// Why bytes did not decode. Every decode failure is one of these; none crashes, none yields a partial
/// message.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before `field` could be read.
    case truncated(field: String, needed: Int, available: Int)
    /// The first four bytes are not `YNDR`.
    case badMagic([UInt8])
    /// A protocol version this build does not speak.
    case unsupportedVersion(UInt16)
    /// A message kind this build does not know.
    case unknownKind(UInt16)
    /// Flag bits that version 1 does not define.
    case unsupportedFlags(UInt32)
    /// The payload's CRC32C does not match the header's.
    case checksumMismatch(expected: UInt32, actual: UInt32)
    /// The header's payload length disagrees with the bytes received.
    case lengthMismatch(declared: UInt64, actual: Int)
    /// A size or count over a configured limit (see `WireLimits`).
    case tooLarge(field: String, size: Int, limit: Int)
    /// A string field that is not valid UTF-8.
    case invalidUTF8(field: String)
    /// An array's dtype code is not in the table.
    case unknownDType(field: String, code: UInt8)
    /// An array whose dtype or shape is not what the message requires.
    case invalidShape(field: String, detail: String)
    /// A required array is absent.
    case missingField(String)
    /// An array name appears twice.
    case duplicateField(String)
    /// A value outside its allowed range (an enum code, an index, a padding byte).
    case invalidValue(field: String, detail: String)
    /// Bytes left over after the message ended.
    case trailingBytes(Int)
    /// A message of another kind than the caller asked for.
    case wrongKind(expected: MessageKind, actual: MessageKind)

    /// Field names and details can hold a peer's text (an array's name): shown escaped, so a
    /// description never forges a log line.
    static func shown(_ text: String) -> String { PeerID.escaped(text, limit: 500) }

    public var description: String {
        switch self {
        case .truncated(let f, let n, let a): return "truncated: \(Self.shown(f)) needs \(n) bytes, \(a) left"
        case .badMagic(let m): return "bad magic \(m.map { String($0, radix: 16) }) (expected 59 4e 44 52, \"YNDR\")"
        case .unsupportedVersion(let v): return "unsupported protocol version \(v) (this build speaks \(Envelope.version))"
        case .unknownKind(let k): return "unknown message kind \(k)"
        case .unsupportedFlags(let f): return "unsupported flags 0x\(String(f, radix: 16))"
        case .checksumMismatch(let e, let a):
            return "CRC32C mismatch: header says 0x\(String(e, radix: 16)), payload has 0x\(String(a, radix: 16))"
        case .lengthMismatch(let d, let a): return "payload length \(d) declared, \(a) bytes present"
        case .tooLarge(let f, let s, let l): return "\(Self.shown(f)) is \(s), over the limit \(l)"
        case .invalidUTF8(let f): return "\(Self.shown(f)) is not valid UTF-8"
        case .unknownDType(let f, let c): return "\(Self.shown(f)): unknown dtype code \(c)"
        case .invalidShape(let f, let d): return "\(Self.shown(f)): \(Self.shown(d))"
        case .missingField(let f): return "missing array \(Self.shown(f))"
        case .duplicateField(let f): return "array \(Self.shown(f)) appears twice"
        case .invalidValue(let f, let d): return "\(Self.shown(f)): \(Self.shown(d))"
        case .trailingBytes(let n): return "\(n) bytes after the end of the message"
        case .wrongKind(let e, let a): return "expected a \(e) message, got \(a)"
        }
    }
}

extension WireError {
    /// A short stable name of the error's kind, for counting dropped frames by kind
    /// (`transport/frames_dropped/decode_<name>`, `annotator/malformed/<name>`).
    public var kindName: String {
        switch self {
        case .truncated: "truncated"
        case .badMagic: "bad_magic"
        case .unsupportedVersion: "version"
        case .unknownKind: "unknown_kind"
        case .unsupportedFlags: "flags"
        case .checksumMismatch: "checksum"
        case .lengthMismatch: "length"
        case .tooLarge: "too_large"
        case .invalidUTF8: "utf8"
        case .unknownDType: "dtype"
        case .invalidShape: "shape"
        case .missingField: "missing_field"
        case .duplicateField: "duplicate_field"
        case .invalidValue: "invalid_value"
        case .trailingBytes: "trailing_bytes"
        case .wrongKind: "wrong_kind"
        }
    }
}
