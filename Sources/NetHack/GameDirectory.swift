import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A game's private HACKDIR, as NLE lays it out: `nhdat` linked in, empty score files, a `save/`
/// folder. It lives in the temporary directory and is removed when its game is released.
///
/// A process killed before that (SIGKILL, a crash, a signal's default action) cannot remove its
/// games' directories, so each one holds `yendor.lock`, locked with flock(2) for as long as its game
/// lives; the kernel drops the lock with the process, whatever ended it. The first game a process
/// makes removes every directory whose lock nobody holds (`removeAbandoned(in:)`), so a killed
/// worker's 64 directories go at the next start rather than piling up in /tmp.
final class GameDirectory {
    static let prefix = "yendor-nle-"
    static let lockName = "yendor.lock"

    /// The directory's path (what the game is given as its HACKDIR).
    let path: String
    private let lock: Int32

    /// Makes a fresh directory in `parent` (the temporary directory by default).
    init(dataPath: String, in parent: String = NSTemporaryDirectory()) throws {
        _ = Self.sweptOnce
        var template = Array(((parent.hasSuffix("/") ? parent : parent + "/") + Self.prefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw NetHackError.loadFailed("mkdtemp in \(parent): \(String(cString: strerror(errno)))")
        }
        let dir = String(cString: made)
        do {
            lock = try Self.takeLock(in: dir)
        } catch {
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        path = dir
        // Every property is set from here on, so a throw runs deinit, which removes the directory.
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir + "/nhdat", withDestinationPath: dataPath)
        for name in ["perm", "record", "logfile", "xlogfile"] {
            guard fm.createFile(atPath: dir + "/" + name, contents: nil) else {
                throw NetHackError.loadFailed("cannot create \(dir)/\(name)")
            }
        }
        try fm.createDirectory(atPath: dir + "/save", withIntermediateDirectories: false)
    }

    deinit {
        // Removed while still locked, so no other process's sweep races the removal.
        try? FileManager.default.removeItem(atPath: path)
        close(lock)
    }

    /// Removes the game directories in `parent` whose lock no living process holds; returns their
    /// paths. A directory without a lock file is left alone (another tool's, or an older Yendor's).
    @discardableResult
    static func removeAbandoned(in parent: String) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: parent) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            let dir = (parent as NSString).appendingPathComponent(name)
            let fd = open(dir + "/" + lockName, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its game is alive
            if (try? fm.removeItem(atPath: dir)) != nil { removed.append(dir) }
        }
        return removed
    }

    private static let sweptOnce: Void = { removeAbandoned(in: NSTemporaryDirectory()) }()

    /// Creates `dir/yendor.lock` already locked: the lock is taken on a file of another name that is
    /// then renamed, so a sweep never sees the lock file unlocked. The descriptor is not inherited
    /// by child processes (which would keep a dead game's directory alive).
    private static func takeLock(in dir: String) throws -> Int32 {
        let staging = dir + "/." + lockName
        let fd = open(staging, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NetHackError.loadFailed("cannot create \(staging): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, rename(staging, dir + "/" + lockName) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw NetHackError.loadFailed("cannot lock \(dir): \(reason)")
        }
        return fd
    }
}
