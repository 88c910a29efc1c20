import Foundation

extension DecodingError {
    /// What is wrong, in a line: "not valid JSON", "\"actions\" is missing", "\"seed\" has the wrong
    /// type (expected UInt64)", instead of the enum's dump with its coding-path structs.
    public var summary: String {
        func path(_ context: Context) -> String {
            let text = context.codingPath.reduce("") { text, key in
                key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue)
            }
            return text.isEmpty ? "the top level" : "\"\(text)\""
        }
        switch self {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)) is malformed: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\"\(key.stringValue)\" is missing" + (context.codingPath.isEmpty ? "" : " in \(path(context))")
        case .typeMismatch(let type, let context):
            return "\(path(context)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null, expected \(type)"
        @unknown default:
            return "\(self)"
        }
    }
}
