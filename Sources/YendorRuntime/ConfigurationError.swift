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

import Glibc
import ZeroMQ

extension Socket {
    /// Binds `endpoint`, the value of the setting `key`: an address in use, or not this host's, is
    /// that setting's error (a role of another run on the same port is the usual cause).
    func bind(_ endpoint: String, setting key: String) throws {
        do { try bind(endpoint) } catch let e as ZMQError where [EADDRINUSE, EADDRNOTAVAIL, ENODEV].contains(e.code) {
            throw ConfigurationError(field: key, problem: e.code == EADDRINUSE
                ? "\(endpoint) is in use by another process (a role of another run, or another program): stop it, or give this role another port with --set \(key)=…"
                : e.code == ENODEV ? "\(endpoint): a listening address is an IP address or an interface name (127.0.0.1, 0.0.0.0 for all), not a host name"
                : "\(endpoint): this host has no such address; bind to one of its own, or 0.0.0.0 for all", source: "bind")
        }
    }
}
