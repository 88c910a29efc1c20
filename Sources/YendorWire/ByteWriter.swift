#if _endian(big)
#error("the wire format is little-endian; a big-endian host needs byte swapping in ByteWriter/ByteReader")
#endif

/// Appends little-endian primitives to a growing buffer. Array data is padded to 8-byte alignment
/// (relative to the payload start) so a reader can map it in place, e.g. `numpy.frombuffer`.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// Offset of the payload's first byte in `bytes` (the envelope header comes before it).
    let origin: Int

    /// Hands the buffer over without a copy (the writer is empty afterwards).
    mutating func takeBytes() -> [UInt8] {
        let taken = bytes
        bytes = []
        return taken
    }

    init(reservingCapacity capacity: Int, origin: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: repeatElement(0, count: origin))
        self.origin = origin
    }

    /// Writes into `buffer`'s storage (emptied, capacity kept); `buffer` is left empty meanwhile so
    /// the storage stays uniquely referenced and appends never copy it.
    init(reusing buffer: inout [UInt8], origin: Int) {
        bytes = []
        swap(&bytes, &buffer)
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: repeatElement(0, count: origin))
        self.origin = origin
    }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: Float) { write(value.bitPattern) }
    mutating func write(_ value: Double) { write(value.bitPattern) }

    /// u32 byte length, then UTF-8 bytes.
    mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { utf8 in
            write(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A list: u32 count, then each element as `element` writes it.
    mutating func writeList<C: Collection>(_ items: C, _ element: (inout ByteWriter, C.Element) -> Void) {
        write(UInt32(items.count))
        for item in items { element(&self, item) }
    }

    mutating func padToAlignment() {
        let misalignment = (bytes.count - origin) % 8
        if misalignment != 0 { bytes.append(contentsOf: repeatElement(0, count: 8 - misalignment)) }
    }

    /// An array record: name, dtype, ndim, reserved u16, shape (u32 each), padding, data.
    mutating func writeArray(name: String, dtype: DType, shape: [Int], data: UnsafeRawBufferPointer) {
        write(name)
        write(dtype.rawValue)
        write(UInt8(shape.count))
        write(UInt16(0))
        for d in shape { write(UInt32(d)) }
        padToAlignment()
        bytes.append(contentsOf: data)
    }

    mutating func writeArray<T: WireScalar>(name: String, shape: [Int], values: [T]) {
        values.withUnsafeBytes { writeArray(name: name, dtype: T.dtype, shape: shape, data: $0) }
    }

    mutating func writeArray(_ array: NamedArray) {
        array.bytes.withUnsafeBytes { writeArray(name: array.name, dtype: array.dtype, shape: array.shape, data: $0) }
    }
}
