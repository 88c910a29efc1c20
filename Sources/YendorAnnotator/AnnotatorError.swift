/// Errors thrown by the annotator's components. Each message names what was wrong.
public enum AnnotatorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration field has a value that cannot work; `field` is the field's name.
    case invalidConfiguration(field: String, reason: String)
    /// Input data (a prompt file, a JSON line, a goal string) could not be used.
    case invalidInput(String)
    /// The label store failed (SQLite error text included).
    case store(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let field, let reason): "invalid configuration: \(field): \(reason)"
        case .invalidInput(let message): "invalid input: \(message)"
        case .store(let message): "label store: \(message)"
        }
    }
}
