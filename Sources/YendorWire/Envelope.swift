import CCRC32C

/// Message kinds. Codes are part of the protocol (docs/wire-protocol.md).
public enum MessageKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1
    case heartbeat = 2
    case stats = 3
    case goodbye = 4
    case trajectoryBatch = 16
    case policyUpdate = 17
    case annotationRequest = 32
    case annotationResult = 33
    case envOpen = 48
    case envSpec = 49
    case envStep = 50
    case envStepResult = 51
    case envClose = 52
    case envError = 53
    case envDescribe = 54

    public var description: String {
        switch self {
        case .hello: return "Hello"
        case .heartbeat: return "Heartbeat"
        case .stats: return "Stats"
        case .goodbye: return "Goodbye"
        case .trajectoryBatch: return "TrajectoryBatch"
        case .policyUpdate: return "PolicyUpdate"
        case .annotationRequest: return "AnnotationRequest"
        case .annotationResult: return "AnnotationResult"
        case .envOpen: return "EnvOpen"
        case .envSpec: return "EnvSpec"
        case .envStep: return "EnvStep"
        case .envStepResult: return "EnvStepResult"
        case .envClose: return "EnvClose"
        case .envError: return "EnvError"
        case .envDescribe: return "EnvDescribe"
        }
    }
}

/// A message body that the envelope can carry.
public protocol WirePayload: Sendable, Equatable {
    static var kind: MessageKind { get }
    /// Appends the payload (without envelope).
    func encode(into writer: inout ByteWriter)
    /// Reads exactly one payload; the envelope has already checked length and checksum.
    init(from reader: inout ByteReader) throws
    /// A size hint for the encoder's buffer.
    var encodedSizeHint: Int { get }
}

extension WirePayload {
    public var encodedSizeHint: Int { 256 }

    /// The whole frame: envelope header followed by the payload.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: Envelope.headerSize + encodedSizeHint, origin: Envelope.headerSize)
        encode(into: &writer)
        var bytes = writer.takeBytes()  // unique, so writing the header below does not copy
        Envelope.writeHeader(into: &bytes, kind: Self.kind)
        return bytes
    }

    /// Encodes the whole frame into `frame`, replacing its contents but keeping its capacity, so a
    /// sender that reuses one buffer allocates nothing once it has grown to the message size.
    public func encode(into frame: inout [UInt8]) {
        var writer = ByteWriter(reusing: &frame, origin: Envelope.headerSize)
        encode(into: &writer)
        frame = writer.takeBytes()
        Envelope.writeHeader(into: &frame, kind: Self.kind)
    }

    /// Decodes a frame that must hold this kind of message.
    public static func decode(_ frame: UnsafeRawBufferPointer, limits: WireLimits = .default) throws -> Self {
        try Envelope.readPayload(of: frame, kind: Self.kind, limits: limits) { try Self(from: &$0) }
    }

    public static func decode(_ frame: [UInt8], limits: WireLimits = .default) throws -> Self {
        try frame.withUnsafeBytes { try decode($0, limits: limits) }
    }
}

/// The fixed 24-byte header in front of every message:
/// magic "YNDR", u16 version, u16 kind, u32 flags, u32 CRC32C(payload), u64 payload length.
public enum Envelope {
    public static let magic: [UInt8] = [0x59, 0x4E, 0x44, 0x52]
    /// The protocol version this build speaks.
    public static let version: UInt16 = 1
    public static let headerSize = 24

    static func writeHeader(into bytes: inout [UInt8], kind: MessageKind) {
        let payloadLength = bytes.count - headerSize
        let crc = bytes.withUnsafeBytes { yendor_crc32c(0, $0.baseAddress! + headerSize, payloadLength) }
        bytes.withUnsafeMutableBytes { b in
            b.copyBytes(from: magic)
            b.storeBytes(of: version.littleEndian, toByteOffset: 4, as: UInt16.self)
            b.storeBytes(of: kind.rawValue.littleEndian, toByteOffset: 6, as: UInt16.self)
            b.storeBytes(of: UInt32(0), toByteOffset: 8, as: UInt32.self)
            b.storeBytes(of: crc.littleEndian, toByteOffset: 12, as: UInt32.self)
            b.storeBytes(of: UInt64(payloadLength).littleEndian, toByteOffset: 16, as: UInt64.self)
        }
    }

    /// Opens `frame`, which must hold a message of `kind`, and reads its whole payload with `body`
    /// (trailing bytes are an error).
    public static func readPayload<T>(of frame: UnsafeRawBufferPointer, kind expected: MessageKind, limits: WireLimits,
                                      _ body: (inout ByteReader) throws -> T) throws -> T {
        let (kind, payload) = try open(frame, limits: limits)
        guard kind == expected else { throw WireError.wrongKind(expected: expected, actual: kind) }
        var reader = ByteReader(payload, limits: limits)
        let value = try body(&reader)
        try reader.finish()
        return value
    }

    /// Checks the header and the checksum; returns the kind and the payload bytes.
    public static func open(_ frame: UnsafeRawBufferPointer, limits: WireLimits) throws -> (MessageKind, UnsafeRawBufferPointer) {
        if frame.count > limits.maxMessageBytes {
            throw WireError.tooLarge(field: "message", size: frame.count, limit: limits.maxMessageBytes)
        }
        guard frame.count >= headerSize else {
            throw WireError.truncated(field: "envelope header", needed: headerSize, available: frame.count)
        }
        guard frame[0] == magic[0], frame[1] == magic[1], frame[2] == magic[2], frame[3] == magic[3] else {
            throw WireError.badMagic(Array(frame[0..<4]))
        }
        let v = UInt16(littleEndian: frame.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard v == version else { throw WireError.unsupportedVersion(v) }
        let k = UInt16(littleEndian: frame.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        guard let kind = MessageKind(rawValue: k) else { throw WireError.unknownKind(k) }
        let flags = UInt32(littleEndian: frame.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard flags & ~Flags.allowed(for: kind).rawValue == 0 else { throw WireError.unsupportedFlags(flags) }
        let crc = UInt32(littleEndian: frame.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let length = UInt64(littleEndian: frame.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard length == UInt64(frame.count - headerSize) else {
            throw WireError.lengthMismatch(declared: length, actual: frame.count - headerSize)
        }
        let payload = UnsafeRawBufferPointer(rebasing: frame[headerSize...])
        let actual = yendor_crc32c(0, payload.baseAddress, payload.count)
        guard actual == crc else { throw WireError.checksumMismatch(expected: crc, actual: actual) }
        return (kind, payload)
    }

    /// The kind of a frame, after checking header and checksum, without decoding the payload.
    public static func kind(of frame: UnsafeRawBufferPointer, limits: WireLimits = .default) throws -> MessageKind {
        try open(frame, limits: limits).0
    }

    /// The header's flag bits. Any bit not defined for the message's kind is refused.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// TrajectoryBatch only: a replay role delivers this trajectory again (a reuse); its env
        /// steps and episodes were counted when it was first delivered.
        public static let redelivered = Flags(rawValue: 1)

        static func allowed(for kind: MessageKind) -> Flags { kind == .trajectoryBatch ? .redelivered : [] }
    }

    /// The flags of a frame whose header `open` has checked (none for a frame too short to have them).
    public static func flags(of frame: UnsafeRawBufferPointer) -> Flags {
        guard frame.count >= headerSize else { return [] }
        return Flags(rawValue: UInt32(littleEndian: frame.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
    }

    /// Sets `flags` in a whole frame's header. The checksum covers the payload only, so nothing else changes.
    public static func insert(_ flags: Flags, into frame: inout [UInt8]) {
        guard frame.count >= headerSize else { return }
        frame.withUnsafeMutableBytes { b in
            let old = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            b.storeBytes(of: (old | flags.rawValue).littleEndian, toByteOffset: 8, as: UInt32.self)
        }
    }

    /// The first bytes of every frame of `kind` (magic, version, kind): a SUB socket that
    /// subscribes to them receives only that kind.
    public static func prefix(of kind: MessageKind) -> [UInt8] {
        magic + [UInt8(version & 0xFF), UInt8(version >> 8), UInt8(kind.rawValue & 0xFF), UInt8(kind.rawValue >> 8)]
    }

    /// The kind a frame's header claims, checking nothing else (nil for a frame too short to say or
    /// an unknown code): for choosing a decoder, which then checks everything.
    public static func claimedKind(of frame: UnsafeRawBufferPointer) -> MessageKind? {
        guard frame.count >= 8 else { return nil }
        return MessageKind(rawValue: UInt16(frame[6]) | UInt16(frame[7]) << 8)
    }
}

/// CRC-32C (Castagnoli) as the envelope uses it.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        yendor_crc32c(0, bytes.baseAddress, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }

    /// The table-driven implementation, for checking the hardware path.
    public static func portableChecksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { yendor_crc32c_portable(0, $0.baseAddress, $0.count) }
    }
}
