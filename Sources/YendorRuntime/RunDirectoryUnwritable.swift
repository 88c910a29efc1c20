import Foundation

extension RunDirectory {
    /// The run directory's file system refused a role at its start: full, read-only, out of file
    /// descriptors. The machine's problem, not a setting's: said as such (it was "configuration error
    /// in run.dir", exit status 64, or a Foundation error's text, trial Y), exit status 1.
    public struct Unwritable: Error, CustomStringConvertible {
        /// The file or directory that could not be made or written.
        public let path: String
        /// Why, as the kernel says it ("No space left on device").
        public let reason: String

        public init(_ path: String, _ error: any Error) {
            self.path = path
            reason = Self.reason(error)
        }

        public init(_ path: String, errno code: Int32) {
            self.path = path
            reason = String(cString: strerror(code))
        }

        public var description: String { "cannot write \(path): \(reason)" }

        /// The POSIX reason under a Foundation error: "No space left on device", not "There isn't
        /// enough space." with its user-info dictionary.
        static func reason(_ error: any Error) -> String {
            var e = error as NSError
            while let underlying = e.userInfo[NSUnderlyingErrorKey] as? any Error { e = underlying as NSError }
            return e.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(e.code))) : error.localizedDescription
        }
    }

    /// Writes, syncs and removes a small file in the directory: a role that keeps what it received
    /// only in memory until it stops (the replay role's `replay.ckpt`) must not start on a disk
    /// that cannot take a byte, and then lose all of it at its stop (trial Y).
    public func checkWritable() throws {
        let probe = root.appendingPathComponent(".write-check-\(getpid())").path
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Unwritable(probe, errno: errno) }
        defer { unlink(probe) }
        let block = [UInt8](repeating: 0, count: 64 << 10)
        let written = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let code = written == block.count ? (fsync(fd) == 0 ? 0 : errno) : (written < 0 ? errno : ENOSPC)
        close(fd)
        if code != 0 { throw Unwritable(probe, errno: code) }
    }
}
