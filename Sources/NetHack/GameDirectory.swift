import Foundation
import YendorSupport

/// A game's private HACKDIR, as NLE lays it out: `nhdat` linked in, empty score files, a `save/`
/// folder. It lives in the temporary directory and is removed when its game is released.
///
/// A process killed before that cannot remove its games' directories, so each one is a
/// `LockedDirectory`, locked for as long as its game lives, and the first game a process makes
/// removes every game directory whose lock nobody holds (`removeAbandoned(in:)`): a killed worker's
/// 64 directories go at the next start rather than piling up in /tmp.
final class GameDirectory {
    static let prefix = "yendor-nle-"

    /// The directory's path (what the game is given as its HACKDIR).
    var path: String { directory.path }
    private let directory: LockedDirectory

    /// Makes a fresh directory in `parent` (the temporary directory by default).
    init(dataPath: String, in parent: String = NSTemporaryDirectory()) throws {
        _ = Self.sweptOnce
        do { directory = try LockedDirectory(prefix: Self.prefix, in: parent) } catch {
            throw NetHackError.loadFailed("\(error)")
        }
        // A throw from here on releases `directory`, which removes it.
        let dir = directory.path, fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir + "/nhdat", withDestinationPath: dataPath)
        for name in ["perm", "record", "logfile", "xlogfile"] {
            guard fm.createFile(atPath: dir + "/" + name, contents: nil) else {
                throw NetHackError.loadFailed("cannot create \(dir)/\(name)")
            }
        }
        try fm.createDirectory(atPath: dir + "/save", withIntermediateDirectories: false)
    }

    /// Free space below which a game does not start: NetHack writes a level file (tens of KiB) at
    /// every level change, and calls abort(), ending the whole process without a word, when it
    /// cannot (trial Y: a full temporary directory killed workers, and a one-process `train`, with
    /// SIGABRT). A clear error at the next reset instead.
    static let minimumFreeBytes: UInt64 = 16 << 20

    /// Throws when the file system holding this directory has less than `minimum` bytes free.
    func checkFreeSpace(minimum: UInt64 = GameDirectory.minimumFreeBytes) throws {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return }
        let free = UInt64(s.f_bavail) * UInt64(s.f_frsize)
        guard free < minimum else { return }
        throw NetHackError.spaceShort("""
            only \(free >> 10) KiB free where NetHack writes its level files (\((path as NSString).deletingLastPathComponent), \
            the temporary directory), below \(minimum >> 20) MiB: NetHack aborts its process when a write fails there. \
            Free space there, or point TMPDIR at a larger file system
            """)
    }

    /// Empties the files NetHack appends a line to at the end of every game (`logfile`,
    /// `xlogfile`, read by nothing here): over a long run a game reset thousands of times grew them
    /// by ~460 bytes an episode, in the temporary directory (often memory). `record`, the top-ten
    /// list NetHack reads and rewrites, keeps itself bounded.
    func clearGameLogs() {
        for name in ["logfile", "xlogfile"] { _ = truncate(path + "/" + name, 0) }
    }

    /// Removes the game directories in `parent` whose lock no living process holds; returns their paths.
    @discardableResult
    static func removeAbandoned(in parent: String) -> [String] { LockedDirectory.removeAbandoned(prefix: prefix, in: parent) }

    private static let sweptOnce: Void = { removeAbandoned(in: NSTemporaryDirectory()) }()
}
