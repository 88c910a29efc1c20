/// Errors from bad inputs to YendorNN layers and files.
public enum NNError: Error, Equatable, CustomStringConvertible {
    /// An index given to an embedding is outside 0..<limit.
    case indexOutOfRange(layer: String, index: Int, limit: Int)
    /// A tensor file is malformed; `reason` says where.
    case malformedTensorFile(String)
    /// A named tensor to load is missing, extra, or has the wrong shape.
    case tensorMismatch(String)

    public var description: String {
        switch self {
        case let .indexOutOfRange(layer, index, limit): "\(layer): index \(index) is outside 0..<\(limit)"
        case let .malformedTensorFile(reason): "malformed tensor file: \(reason)"
        case let .tensorMismatch(reason): "tensor mismatch: \(reason)"
        }
    }
}
