import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the tests write their files, run directories and ipc sockets: one directory per test
/// process (`$TMPDIR/yendor-tests-PID`), removed when the process exits, so a suite run leaves
/// nothing behind in /tmp (before, each left ~200 entries and ~60 MB there).
///
/// A test process that crashed or was killed cannot remove its directory: it holds `.lock`, locked
/// (flock) while the process lives, and the next test process removes every such directory whose
/// lock nobody holds. The processes the tests start write where their arguments say, or in the
/// system's temporary directory as a user's would.
public enum Scratch {
    /// The process's scratch directory, made on first use.
    public static var root: URL { URL(fileURLWithPath: made.path, isDirectory: true) }
    /// `root`'s path with a trailing slash, to put a name after (as `NSTemporaryDirectory()` has).
    public static var path: String { made.path + "/" }

    private static let made: (path: String, lock: Int32) = {
        let parent = NSTemporaryDirectory()
        removeAbandoned(in: parent)
        let path = (parent as NSString).appendingPathComponent("yendor-tests-\(getpid())")
        try? FileManager.default.removeItem(atPath: path)  // an earlier process's with this pid
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            preconditionFailure("Scratch: cannot make \(path): \(error)")
        }
        let lock = open(path + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        precondition(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0, "Scratch: cannot lock \(path)/.lock")
        atexit { try? FileManager.default.removeItem(atPath: Scratch.made.path) }
        return (path, lock)
    }()

    /// Removes the scratch directories in `parent` of test processes that are gone.
    private static func removeAbandoned(in parent: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix("yendor-tests-") {
            let dir = (parent as NSString).appendingPathComponent(name)
            let fd = open(dir + "/.lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { try? FileManager.default.removeItem(atPath: dir) }
        }
    }
}
