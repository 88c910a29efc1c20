import Foundation

/// The executable file this process runs: to start more of itself (`train --workers`, bench
/// peers) and to find the repository it belongs to. /proc/self/exe names the real file however the
/// program was started (a path, through `$PATH`, a symlink); the first argument alone is relative
/// to the working directory, so a program found through `$PATH` could not find itself.
public enum Executable {
    public static var current: URL {
        if let real = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), real.hasPrefix("/") {
            return URL(fileURLWithPath: real)
        }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
    }

    /// The name the program was started by, for usage lines and help: a symlink's (`yendor` linked
    /// to a versioned binary says `yendor`), else the file's.
    public static var name: String {
        let typed = URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent
        return typed.isEmpty || typed == "/" ? current.lastPathComponent : typed
    }
}
