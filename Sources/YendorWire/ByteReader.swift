/// Reads little-endian primitives from a payload, checking every length against what is left before
/// touching or allocating anything.
public struct ByteReader {
    let base: UnsafeRawBufferPointer
    public private(set) var offset = 0
    let limits: WireLimits

    init(_ base: UnsafeRawBufferPointer, limits: WireLimits) {
        self.base = base
        self.limits = limits
    }

    var remaining: Int { base.count - offset }

    mutating func need(_ n: Int, _ field: @autoclosure () -> String) throws {
        if n < 0 || n > remaining { throw WireError.truncated(field: field(), needed: n, available: remaining) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, field())
        let v = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat(_ field: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, field()))
    }

    mutating func readDouble(_ field: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, field()))
    }

    mutating func readString(_ field: @autoclosure () -> String) throws -> String {
        let name = field()
        let n = Int(try read(UInt32.self, name + " length"))
        if n > limits.maxStringBytes { throw WireError.tooLarge(field: name, size: n, limit: limits.maxStringBytes) }
        try need(n, name)
        let slice = UnsafeRawBufferPointer(rebasing: base[offset..<offset + n])
        // Building a String repairs invalid UTF-8 with U+FFFD, so the input was valid exactly when the
        // string's bytes equal it. Cheaper than the generic `String(validating:)` and
        // `String(decoding:)`, which look up conformances at run time on every call.
        let bytes = slice.bindMemory(to: UInt8.self)
        var s = String(unsafeUninitializedCapacity: n) { UnsafeMutableRawBufferPointer($0).copyBytes(from: bytes); return n }
        guard s.withUTF8({ $0.elementsEqual(bytes) }) else { throw WireError.invalidUTF8(field: name) }
        offset += n
        return s
    }

    /// A count of items that each take at least `minimumItemBytes`: checked against the limit and
    /// against the bytes left, so a forged count cannot trigger a large allocation.
    mutating func readCount(_ field: String, minimumItemBytes: Int) throws -> Int {
        let n = Int(try read(UInt32.self, field))
        if n > limits.maxItems { throw WireError.tooLarge(field: field, size: n, limit: limits.maxItems) }
        if n * minimumItemBytes > remaining {
            throw WireError.truncated(field: field, needed: n * minimumItemBytes, available: remaining)
        }
        return n
    }

    /// A list written by `ByteWriter.writeList`: its count checked as `readCount` does, then each
    /// element as `element` reads it (given its index, for error messages).
    mutating func readList<T>(_ field: String, minimumItemBytes: Int,
                              _ element: (inout ByteReader, Int) throws -> T) throws -> [T] {
        let n = try readCount(field, minimumItemBytes: minimumItemBytes)
        var items: [T] = []
        items.reserveCapacity(n)
        for i in 0..<n { items.append(try element(&self, i)) }
        return items
    }

    mutating func skipPadding(_ field: String) throws {
        let misalignment = offset % 8
        guard misalignment != 0 else { return }
        let pad = 8 - misalignment
        try need(pad, field + " padding")
        for i in 0..<pad where base[offset + i] != 0 {
            throw WireError.invalidValue(field: field, detail: "non-zero padding byte")
        }
        offset += pad
    }

    /// One array record, returned as a view into the payload (no copy yet).
    mutating func readArray() throws -> ArrayView {
        let name = try readString("array name")
        let code = try read(UInt8.self, "\(name) dtype")
        guard let dtype = DType(rawValue: code) else { throw WireError.unknownDType(field: name, code: code) }
        let ndim = Int(try read(UInt8.self, "\(name) ndim"))
        if ndim > limits.maxDimensions {
            throw WireError.tooLarge(field: "\(name) ndim", size: ndim, limit: limits.maxDimensions)
        }
        guard try read(UInt16.self, "\(name) reserved") == 0 else {
            throw WireError.invalidValue(field: name, detail: "reserved field is not zero")
        }
        var shape: [Int] = []
        shape.reserveCapacity(ndim)
        var count = 1
        for d in 0..<ndim {
            let extent = Int(try read(UInt32.self, "\(name) shape[\(d)]"))
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            if overflow || product > limits.maxMessageBytes {
                throw WireError.tooLarge(field: "\(name) element count", size: overflow ? Int.max : product,
                                         limit: limits.maxMessageBytes)
            }
            count = product
            shape.append(extent)
        }
        try skipPadding(name)
        let byteCount = count * dtype.size
        try need(byteCount, "\(name) data")
        let data = UnsafeRawBufferPointer(rebasing: base[offset..<offset + byteCount])
        offset += byteCount
        return ArrayView(name: name, dtype: dtype, shape: shape, data: data)
    }

    func finish() throws {
        if remaining != 0 { throw WireError.trailingBytes(remaining) }
    }
}

/// An array record still inside the received buffer: nothing is copied until asked.
/// It points into the frame it was read from and is valid only while that frame is.
public struct ArrayView {
    /// The array's name as sent (observations in a `TrajectoryBatchView` have the `obs/` prefix removed).
    public internal(set) var name: String
    public let dtype: DType
    public let shape: [Int]
    /// The raw little-endian element bytes.
    public let data: UnsafeRawBufferPointer

    /// Number of elements.
    public var count: Int { data.count / dtype.size }

    /// The elements as typed values without a copy; nil when `T` is not this array's dtype.
    /// Views handed out by `TrajectoryBatchView.withView` are 8-byte aligned, so any dtype may be read.
    public func elements<T: WireScalar>(as: T.Type) -> UnsafeBufferPointer<T>? {
        guard dtype == T.dtype else { return nil }
        return data.typed(as: T.self)
    }

    /// An owned copy.
    public func copy() -> NamedArray { NamedArray(name: name, dtype: dtype, shape: shape, bytes: Array(data)) }

    /// Checks dtype, then shape, against what the message requires; returns the array unchanged.
    func checked<T: WireScalar>(as: T.Type, shape expected: [Int]) throws -> ArrayView {
        guard dtype == T.dtype else {
            throw WireError.invalidShape(field: name, detail: "dtype \(dtype), expected \(T.dtype)")
        }
        guard shape == expected else {
            throw WireError.invalidShape(field: name, detail: "shape \(shape), expected \(expected)")
        }
        return self
    }

    /// Copies the elements out, checking dtype and shape first.
    func values<T: WireScalar>(as: T.Type, shape expected: [Int]) throws -> [T] {
        try checked(as: T.self, shape: expected).ownedValues(as: T.self)
    }

    /// Copies the elements out; the dtype must already have been checked. Reads raw bytes, so the
    /// source needs no alignment.
    func ownedValues<T: WireScalar>(as: T.Type) -> [T] {
        let n = count
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: data)
            initialized = n
        }
    }
}

extension UnsafeRawBufferPointer {
    /// These bytes as `T` values. The caller guarantees alignment (checked here, as a trap, because
    /// a misaligned typed pointer is undefined behaviour).
    func typed<T>(as: T.Type) -> UnsafeBufferPointer<T> {
        guard let base = baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        precondition(Int(bitPattern: base) % MemoryLayout<T>.alignment == 0, "misaligned wire array")
        return UnsafeBufferPointer(start: base.bindMemory(to: T.self, capacity: count / MemoryLayout<T>.stride),
                                   count: count / MemoryLayout<T>.stride)
    }
}

/// Reads a list of arrays in wire order, rejecting duplicate names. Lookups scan the list: a message
/// carries a few dozen arrays, where a scan is cheaper than hashing every name; a longer table (up to
/// `WireLimits.maxArrays`) gets a hash index so a forged message cannot make the checks quadratic.
struct ArrayTable {
    private(set) var arrays: [ArrayView] = []
    private var index: [String: Int]?
    static let longestScanned = 32

    init(_ reader: inout ByteReader) throws {
        // Smallest possible record: empty name (4) + dtype/ndim/reserved (4).
        let n = try reader.readCount("array count", minimumItemBytes: 8)
        if n > reader.limits.maxArrays { throw WireError.tooLarge(field: "array count", size: n, limit: reader.limits.maxArrays) }
        arrays.reserveCapacity(n)
        if n > Self.longestScanned { index = Dictionary(minimumCapacity: n) }
        for _ in 0..<n {
            let v = try reader.readArray()
            if self[v.name] != nil { throw WireError.duplicateField(v.name) }
            index?[v.name] = arrays.count
            arrays.append(v)
        }
    }

    subscript(name: String) -> ArrayView? {
        if let index { return index[name].map { arrays[$0] } }
        return arrays.first { $0.name == name }
    }

    func required(_ name: String) throws -> ArrayView {
        guard let v = self[name] else { throw WireError.missingField(name) }
        return v
    }
}
