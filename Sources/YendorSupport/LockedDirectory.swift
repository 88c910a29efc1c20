import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory that holds a lock for as long as its owner lives, so that one left by a
/// process that was killed (SIGKILL, a crash, a signal's default action: no chance to remove it) can
/// be told from one in use and removed by the next process (`removeAbandoned`). The lock is flock(2)
/// on `yendor.lock` inside it: the kernel drops it with the process, whatever ended it.
public final class LockedDirectory: Sendable {
    public static let lockName = "yendor.lock"

    /// The directory's path.
    public let path: String
    private let lock: Int32

    /// Why a directory could not be made or locked.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Makes `parent/prefix` + 6 random characters, locked from before its lock file has its name,
    /// so that a sweep never sees the lock file unlocked.
    public init(prefix: String, in parent: String) throws {
        var template = Array(((parent.hasSuffix("/") ? parent : parent + "/") + prefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(description: "mkdtemp in \(parent): \(String(cString: strerror(errno)))")
        }
        let dir = String(cString: made)
        let staging = dir + "/." + Self.lockName
        // Not inherited by child processes, which would keep a dead owner's directory alive.
        let fd = open(staging, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0, rename(staging, dir + "/" + Self.lockName) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            try? FileManager.default.removeItem(atPath: dir)
            throw Failure(description: "cannot lock \(dir): \(reason)")
        }
        path = dir
        lock = fd
    }

    /// A fresh one, after removing those under the same prefix whose owner is gone.
    public static func fresh(prefix: String, in parent: String) throws -> LockedDirectory {
        removeAbandoned(prefix: prefix, in: parent)
        return try LockedDirectory(prefix: prefix, in: parent)
    }

    deinit {
        // Removed while still locked, so no other process's sweep races the removal.
        try? FileManager.default.removeItem(atPath: path)
        close(lock)
    }

    /// Removes the directories in `parent` whose names start with `prefix` and whose lock no living
    /// process holds; returns their paths. One without a lock file is left alone (another tool's,
    /// or an older Yendor's).
    @discardableResult
    public static func removeAbandoned(prefix: String, in parent: String) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: parent) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            let dir = (parent as NSString).appendingPathComponent(name)
            let fd = open(dir + "/" + lockName, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its owner is alive
            if (try? fm.removeItem(atPath: dir)) != nil { removed.append(dir) }
        }
        return removed
    }
}
