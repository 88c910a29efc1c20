/// A contiguous typed array with a name and a shape: the unit of every columnar payload.
/// The bytes are little-endian elements in row-major order.
public struct NamedArray: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Raw little-endian element bytes, `shape.product * dtype.size` of them.
    public var bytes: [UInt8]

    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) * dtype.size == bytes.count, "\(name): \(bytes.count) bytes for shape \(shape)")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init<T: WireScalar>(name: String, shape: [Int], values: [T]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.dtype = T.dtype
        self.shape = shape
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The elements as `T`; nil when `T` is not this array's dtype.
    public func values<T: WireScalar>(as type: T.Type) -> [T]? {
        guard T.dtype == dtype else { return nil }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: src)
            }
            initialized = count
        }
    }

    /// The elements as `Float`: an `f32` array's as they are, an `f16` array's widened (exactly);
    /// nil for other dtypes.
    public func floats() -> [Float]? {
        switch dtype {
        case .f32: values(as: Float.self)
        case .f16: values(as: Float16.self)?.map(Float.init)
        default: nil
        }
    }

    /// `values` rounded to the nearest half-precision value, or nil when one is beyond its range
    /// (±65,504) or not finite, which rounding would turn into another value or an infinity.
    public static func halfPrecision(name: String, shape: [Int], values: [Float]) -> NamedArray? {
        let half = values.map(Float16.init)
        guard half.allSatisfy(\.isFinite) else { return nil }
        return NamedArray(name: name, shape: shape, values: half)
    }
}
