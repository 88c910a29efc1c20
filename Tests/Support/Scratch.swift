import Foundation
import YendorSupport

/// Where the tests write their files, run directories and ipc sockets: one directory per test
/// process (`$TMPDIR/yendor-tests-XXXXXX`), removed when the process exits, so a suite run leaves
/// nothing behind in /tmp (before, each left ~200 entries and ~60 MB there).
///
/// A test process that crashed or was killed cannot remove its directory: it is a
/// `LockedDirectory`, locked while the process lives, and the next test process removes every such
/// directory whose lock nobody holds. The processes the tests start write where their arguments
/// say, or in the system's temporary directory as a user's would.
public enum Scratch {
    /// The process's scratch directory, made on first use.
    public static var root: URL { URL(fileURLWithPath: made.path, isDirectory: true) }
    /// `root`'s path with a trailing slash, to put a name after (as `NSTemporaryDirectory()` has).
    public static var path: String { made.path + "/" }

    private static let prefix = "yendor-tests-"
    private static let made: LockedDirectory = {
        let parent = NSTemporaryDirectory()
        do {
            let made = try LockedDirectory.fresh(prefix: prefix, in: parent)
            // A static is never released: removed (still locked) as the process exits.
            atexit { try? FileManager.default.removeItem(atPath: Scratch.made.path) }
            return made
        } catch {
            preconditionFailure("Scratch: \(error)")
        }
    }()
}
