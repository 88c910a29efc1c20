import Foundation
import PackagePlugin

/// Writes `BuildVersion.swift` into the target it is applied to (`YendorVersion`): the commit the
/// sources were built from, as `git describe --always --dirty` says it ("unknown" outside a git
/// checkout), so `yendor --version` and each role's first log line tell binaries apart. The
/// command runs again when HEAD, the index or any source file changes, and rewrites the file only
/// when the text changes (no rebuild otherwise). Not a prebuild command: SwiftPM runs those only
/// when it evaluates the package again, which a commit does not make it do.
@main
struct BuildVersionPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let file = context.pluginWorkDirectoryURL.appending(path: "BuildVersion.swift")
        let files = FileManager.default
        var inputs = ["HEAD", "index", "packed-refs"].map { root.appending(path: ".git/\($0)") }
            .filter { files.fileExists(atPath: $0.path) }
        if let sources = files.enumerator(at: root.appending(path: "Sources"), includingPropertiesForKeys: nil) {
            for case let url as URL in sources where url.pathExtension == "swift" { inputs.append(url) }
        }
        let script = """
            v=$(git -C "$1" describe --always --dirty --abbrev=12 2>/dev/null) || v=unknown
            printf '/// Written by BuildVersionPlugin.\\nlet buildCommit = "%s"\\n' "$v" > "$2.new"
            if cmp -s "$2.new" "$2"; then rm "$2.new"; else mv "$2.new" "$2"; fi
            """
        return [.buildCommand(displayName: "Stamping the build's commit", executable: URL(fileURLWithPath: "/bin/sh"),
                              arguments: ["-c", script, "sh", root.path, file.path], inputFiles: inputs, outputFiles: [file])]
    }
}
