import CZeroMQ

/// A CURVE key pair, each key in Z85 text (40 characters), as libzmq and `zmq_curve_keypair` use them.
public struct CurveKeyPair: Sendable, Equatable, Codable {
    public let publicKey: String
    public let secretKey: String

    /// A fresh random key pair (libzmq uses libsodium's RNG).
    public static func generate() throws -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        if zmq_curve_keypair(&pub, &sec) != 0 { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: Z85.string(pub), secretKey: Z85.string(sec))
    }

    /// The public key that belongs to a secret key.
    public static func publicKey(forSecret secret: String) throws -> String {
        guard secret.utf8.count == 40 else { throw Z85.Error.badLength(secret.utf8.count) }
        var pub = [CChar](repeating: 0, count: 41)
        if zmq_curve_public(&pub, secret) != 0 { throw ZMQError.last("zmq_curve_public") }
        return Z85.string(pub)
    }
}

/// ZeroMQ's Z85 text encoding (RFC 32): 4 bytes become 5 printable characters.
public enum Z85 {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case badLength(Int)
        case badCharacter
        public var description: String {
            switch self {
            case .badLength(let n): return "Z85: length \(n) is not a multiple of the block size"
            case .badCharacter: return "Z85: text contains a character outside the Z85 alphabet"
            }
        }
    }

    public static func encode(_ bytes: [UInt8]) throws -> String {
        guard bytes.count % 4 == 0 else { throw Error.badLength(bytes.count) }
        var out = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        guard zmq_z85_encode(&out, bytes, bytes.count) != nil else { throw Error.badLength(bytes.count) }
        return string(out)
    }

    public static func decode(_ text: String) throws -> [UInt8] {
        let n = text.utf8.count
        guard n % 5 == 0 else { throw Error.badLength(n) }
        var out = [UInt8](repeating: 0, count: n * 4 / 5)
        guard zmq_z85_decode(&out, text) != nil else { throw Error.badCharacter }
        // libzmq does not reject every out-of-alphabet byte: re-encode to be sure the text was canonical.
        guard try encode(out) == text else { throw Error.badCharacter }
        return out
    }

    static func string(_ cString: [CChar]) -> String {
        String(decoding: cString.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
