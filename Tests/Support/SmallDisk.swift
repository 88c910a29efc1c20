import Foundation

/// A small tmpfs mounted for a test of a disk that fills up (trial Y): real ENOSPC from the kernel,
/// partial writes included. Needs root; `available` says whether mounting works here.
public final class SmallDisk: Sendable {
    /// Where it is mounted.
    public let url: URL

    /// Whether this process may mount a tmpfs (root, outside a locked-down container).
    public static let available: Bool = {
        guard getuid() == 0, let probe = try? SmallDisk(size: "64k", name: "probe") else { return false }
        probe.unmount()
        return true
    }()

    /// Mounts a tmpfs of `size` (as mount takes it: "256k", "16m") in a new directory under the
    /// test process's scratch directory.
    public init(size: String, name: String = "disk") throws {
        url = Scratch.root.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", url.path]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// Fills what is left with a file of zeros, until the kernel refuses (ENOSPC): what remains
    /// is the free tail of each file's last page.
    public func fill() throws {
        let filler = url.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        while (try? handle.write(contentsOf: Data(count: 4096))) != nil {}
        try handle.close()
    }

    /// Makes it read-only (as a snapshot or a dataset share is); no file may be open for writing.
    public func remountReadOnly() throws {
        guard Self.run("/bin/mount", ["-o", "remount,ro", url.path]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// Frees what `fill` took. Truncated before it is removed: an unlinked file's pages stay taken
    /// while any descriptor of it is open, and a process another test spawns while the filler is
    /// open holds a copy until that child execs (under load, perhaps long enough for the next write
    /// to fail with ENOSPC: the likely cause of one in CI on 2026-12-07); a truncation frees them at once.
    public func free() throws {
        let filler = url.appendingPathComponent("filler")
        guard truncate(filler.path, 0) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: filler.path,
                                                           NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)])
        }
        try FileManager.default.removeItem(at: filler)
    }

    /// Unmounts it (lazily: a process the test killed may still hold a file there for a moment)
    /// and removes its directory.
    public func unmount() {
        Self.run("/bin/umount", ["-l", url.path])
        try? FileManager.default.removeItem(at: url)
    }

    @discardableResult
    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
