import Foundation

/// Files of the repository `yendor` runs from (scripts/, the project's .venv), looked for in the
/// working directory, then in the binary's folder and its parents (.build/<config>/yendor sits
/// a few levels below the root).
enum RepositoryFile {
    /// The first `relativePath` under those roots that `accept` takes (by default: it exists).
    static func find(_ relativePath: String,
                     accept: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> URL? {
        var roots = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { roots.append(dir); dir = dir.deletingLastPathComponent() }
        return roots.lazy.map { $0.appendingPathComponent(relativePath) }.first { accept($0.path) }
    }
}
