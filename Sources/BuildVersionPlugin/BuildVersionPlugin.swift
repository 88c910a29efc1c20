import Foundation
import PackagePlugin

/// Writes `BuildVersion.swift` into the target it is applied to (`YendorVersion`): the commit the
/// sources were built from, as `git describe --always --dirty` says it ("unknown" outside a git
/// checkout of this package), so `yendor --version` and each role's log tell binaries apart. The
/// command runs again when HEAD moves (a commit adds a line to `logs/HEAD` even when the index and
/// HEAD's own text stay as they were), the index or any source file changes, and rewrites the file
/// only when the text changes (no rebuild otherwise). Not a prebuild command: SwiftPM 6.3 ran those
/// only when it evaluated the package again, which a commit does not make it do (tried).
@main
struct BuildVersionPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let file = context.pluginWorkDirectoryURL.appending(path: "BuildVersion.swift")
        let files = FileManager.default
        var inputs = ["HEAD", "index", "logs/HEAD"].compactMap { Self.gitDirectory(of: root)?.appending(path: $0) }
            .filter { files.fileExists(atPath: $0.path) }
        if let sources = files.enumerator(at: root.appending(path: "Sources"), includingPropertiesForKeys: nil) {
            for case let url as URL in sources where url.pathExtension == "swift" { inputs.append(url) }
        }
        // GIT_CEILING_DIRECTORIES: this package's own repository only, not one it sits inside (a
        // vendored copy, a registry download in a user's checkout). GIT_OPTIONAL_LOCKS=0: `--dirty`
        // must not take the index lock from a `git commit` running meanwhile.
        let script = """
            v=$(GIT_CEILING_DIRECTORIES="$(dirname "$1")" GIT_OPTIONAL_LOCKS=0 git -C "$1" describe --always --dirty --abbrev=12 2>/dev/null) || v=unknown
            printf '/// Written by BuildVersionPlugin.\\nlet buildCommit = "%s"\\n' "$v" > "$2.new"
            if cmp -s "$2.new" "$2"; then rm "$2.new"; else mv "$2.new" "$2"; fi
            """
        return [.buildCommand(displayName: "Stamping the build's commit", executable: URL(fileURLWithPath: "/bin/sh"),
                              arguments: ["-c", script, "sh", root.path, file.path], inputFiles: inputs, outputFiles: [file])]
    }

    /// The package's git directory: `.git`, or where a worktree's `.git` file points (`gitdir: …`).
    static func gitDirectory(of root: URL) -> URL? {
        let dotGit = root.appending(path: ".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return dotGit }
        guard let text = try? String(contentsOf: dotGit, encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("gitdir: ") else { return nil }
        let path = String(line.dropFirst("gitdir: ".count))
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appending(path: path)
    }
}
