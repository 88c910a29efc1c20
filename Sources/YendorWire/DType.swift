/// Element types of wire arrays. Codes are part of the protocol (docs/wire-protocol.md).
public enum DType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case u8 = 1
    case i16 = 2
    case i32 = 3
    case f32 = 4
    case i64 = 5
    /// IEEE 754 half precision: only for weights (`PolicyUpdate`), at half the bytes of `f32`.
    case f16 = 6

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .u8: return 1
        case .i16, .f16: return 2
        case .i32, .f32: return 4
        case .i64: return 8
        }
    }

    public var description: String {
        switch self {
        case .u8: return "u8"
        case .i16: return "i16"
        case .i32: return "i32"
        case .f32: return "f32"
        case .i64: return "i64"
        case .f16: return "f16"
        }
    }
}

/// Swift element types that map to a wire dtype.
public protocol WireScalar: Sendable, Equatable, BitwiseCopyable {
    static var dtype: DType { get }
}

extension UInt8: WireScalar { public static var dtype: DType { .u8 } }
extension Int16: WireScalar { public static var dtype: DType { .i16 } }
extension Int32: WireScalar { public static var dtype: DType { .i32 } }
extension Float: WireScalar { public static var dtype: DType { .f32 } }
extension Int64: WireScalar { public static var dtype: DType { .i64 } }
extension Float16: WireScalar { public static var dtype: DType { .f16 } }
