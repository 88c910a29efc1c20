/// A configuration problem, always naming the field (dotted path, e.g. `learner.learning_rate`) and
/// where the value came from.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Dotted field path, or the file for file-level problems.
    public let field: String
    /// What is wrong and what would be right.
    public let problem: String
    /// `file path`, `--set`, `--flag`, or `validation`.
    public let source: String

    public init(field: String, problem: String, source: String = "validation") {
        self.field = field
        self.problem = problem
        self.source = source
    }

    public var description: String { "configuration error in \(field) (\(source)): \(problem)" }
}
