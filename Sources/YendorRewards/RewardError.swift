/// Errors from the reward models: bad configuration, bad input blocks, bad saved state.
public enum RewardError: Error, Equatable, CustomStringConvertible {
    /// A configuration field holds a value outside its allowed range.
    case invalidConfiguration(field: String, reason: String)
    /// No reward model is registered under this name.
    case unknownModel(name: String, known: [String])
    /// A caption block (captions, index, counts) is malformed; the text names the field.
    case badBlock(String)
    /// Saved state cannot be loaded into this model; the text says why.
    case badState(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(field, reason): "invalid reward configuration: \(field) \(reason)"
        case let .unknownModel(name, known): "unknown reward model '\(name)'; known models: \(known.joined(separator: ", "))"
        case let .badBlock(reason): "bad caption block: \(reason)"
        case let .badState(reason): "cannot load reward model state: \(reason)"
        }
    }
}
