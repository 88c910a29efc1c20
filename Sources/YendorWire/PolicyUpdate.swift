/// New policy weights, published by the learner (PUB) to every worker (SUB).
public struct PolicyUpdate: WirePayload {
    public static let kind = MessageKind.policyUpdate

    /// Monotonic policy version; samples carry the version that produced them.
    public var version: UInt64
    /// Describes the network's architecture and observation spec; workers refuse a mismatch.
    public var modelSignature: String
    /// Parameters as named f32 arrays, e.g. `core.0.weight` with shape [256, 512], or f16 ones
    /// (`transport.weights_precision`: half the bytes on the wire); `NamedArray.floats()` reads either.
    public var tensors: [NamedArray]

    public init(version: UInt64, modelSignature: String, tensors: [NamedArray]) {
        self.version = version
        self.modelSignature = modelSignature
        self.tensors = tensors
    }

    public var encodedSizeHint: Int { tensors.reduce(64) { $0 + $1.bytes.count + $1.name.utf8.count + 48 } }

    public func encode(into w: inout ByteWriter) {
        w.write(version)
        w.write(modelSignature)
        w.writeList(tensors) { w, t in w.writeArray(t) }
    }

    public init(from r: inout ByteReader) throws {
        version = try r.read(UInt64.self, "version")
        modelSignature = try r.readString("model_signature")
        let table = try ArrayTable(&r)
        tensors = try table.arrays.map { v in
            guard v.dtype == .f32 || v.dtype == .f16 else { throw WireError.invalidShape(field: v.name, detail: "dtype \(v.dtype), expected f32 or f16") }
            return v.copy()
        }
    }
}
