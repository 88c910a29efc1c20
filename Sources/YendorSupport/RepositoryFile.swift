import Foundation

/// Files of the repository `yendor` runs from (scripts/, data/, the project's .venv and the NLE
/// library in it), looked for in `$YENDOR_HOME` (a binary copied elsewhere names its repository
/// so), the working directory, then the binary's folder and its parents (.build/<config>/yendor
/// sits a few levels below the root).
public enum RepositoryFile {
    /// Where to look, in order.
    public static var roots: [URL] {
        var roots = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if let home = ProcessInfo.processInfo.environment["YENDOR_HOME"], !home.isEmpty {
            roots.insert(URL(fileURLWithPath: home), at: 0)
        }
        var dir = Executable.current.deletingLastPathComponent()
        for _ in 0..<6 { roots.append(dir); dir = dir.deletingLastPathComponent() }
        // Once each: near `/`, the parents repeat (and an error listing where it looked would too).
        var seen = Set<String>()
        return roots.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The first `relativePath` under `roots` that `accept` takes (by default: it exists).
    public static func find(_ relativePath: String,
                            accept: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> URL? {
        roots.lazy.map { $0.appendingPathComponent(relativePath) }.first { accept($0.path) }
    }
}
