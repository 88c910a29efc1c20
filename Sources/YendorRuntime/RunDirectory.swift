import Foundation

/// A training run's directory: the resolved configuration, checkpoints, logs and the metrics file.
/// Restarting a role with the same directory resumes from its latest checkpoint.
public struct RunDirectory: Sendable {
    public let root: URL

    public init(path: String) throws {
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        for dir in [root, checkpoints, logs] {
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            } catch {
                throw ConfigurationError(field: "run.dir", problem: "cannot create \(dir.path): \(error.localizedDescription)")
            }
        }
    }

    public var checkpoints: URL { root.appendingPathComponent("checkpoints", isDirectory: true) }
    public var logs: URL { root.appendingPathComponent("logs", isDirectory: true) }
    public var metrics: URL { root.appendingPathComponent("metrics.jsonl") }
    public var resolvedConfiguration: URL { root.appendingPathComponent("config.yaml") }

    /// Writes a file atomically (temp file + rename), so a crash never leaves half a file.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try data.write(to: temp)
        if rename(temp.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
