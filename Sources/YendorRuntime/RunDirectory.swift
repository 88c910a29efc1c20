import Foundation
import YendorSupport

/// A training run's directory: the resolved configuration, checkpoints, logs and the metrics file.
/// Restarting a role with the same directory resumes from its latest checkpoint.
public struct RunDirectory: Sendable {
    public let root: URL

    public init(path: String) throws {
        self.init(unmade: path)
        for dir in [root, checkpoints, logs] {
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            } catch {
                throw Unwritable(dir.path, error)
            }
        }
    }

    /// A new directory named `base`, or `base-2`, `base-3`, … when that name is taken: made here
    /// (mkdir fails on a name that exists), so runs started in the same second, a sweep's, never
    /// share one (the second was refused as "in use by another run", trial Z). Returns its path.
    public static func claimNew(_ base: String) throws -> String {
        let parent = URL(fileURLWithPath: base).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw Unwritable(parent.path, error)
        }
        for n in 1...1000 {
            let path = n == 1 ? base : "\(base)-\(n)"
            if mkdir(path, 0o755) == 0 { return path }
            guard errno == EEXIST else { throw Unwritable(path, errno: errno) }
        }
        throw ConfigurationError(field: "run.dir", problem: "\(base) and 999 names after it are taken; name a run directory with --run-dir")
    }

    /// Removes the directory at `path` if it holds only what making it and locking it left (empty
    /// `checkpoints/` and `logs/`, `.lock`): a claimed run refused before it started. rmdir leaves
    /// anything more (an env server's log a refusal points to).
    public static func removeUnstarted(_ path: String) {
        let run = RunDirectory(unmade: path)
        _ = unlink(run.lockFile.path)
        for dir in [run.checkpoints, run.logs, run.root] { _ = rmdir(dir.path) }
    }

    /// The run directory under `parent` whose latest checkpoint was written last; nil when none
    /// there has one. For a command given no run directory (`evaluate` after a `train` that named
    /// its own, runs/<task>-<start time>).
    public static func newestWithCheckpoint(under parent: String) -> String? {
        let files = FileManager.default
        let runs = (try? files.contentsOfDirectory(atPath: parent)) ?? []
        return runs.compactMap { name -> (path: String, written: Date)? in
            let path = parent.hasSuffix("/") ? parent + name : "\(parent)/\(name)"  // as relative as `parent`
            let latest = "\(path)/checkpoints/latest"
            guard let written = (try? files.attributesOfItem(atPath: latest))?[.modificationDate] as? Date else { return nil }
            return (path, written)
        }.max { $0.written < $1.written }?.path
    }

    /// The directory at `path`, made or not.
    private init(unmade path: String) {
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    public var checkpoints: URL { root.appendingPathComponent("checkpoints", isDirectory: true) }
    /// What `lock` holds, naming the holder's pid.
    var lockFile: URL { root.appendingPathComponent(".lock") }
    public var logs: URL { root.appendingPathComponent("logs", isDirectory: true) }
    public var metrics: URL { root.appendingPathComponent("metrics.jsonl") }
    /// Unix sockets of the run's roles (`train --workers N`'s learner, its env servers, the status
    /// socket): `sockets/` here, or elsewhere when paths here are too long (`sockets(ofRunAt:)`).
    public var sockets: URL { Self.sockets(ofRunAt: root) }

    /// Where the run at `root` (standardised) keeps its Unix sockets: `root/sockets`, unless a
    /// socket there would have a path longer than a Unix socket's address holds (107 bytes; deep
    /// cluster scratch paths reach that), then `/tmp/yendor-sockets-UID-HASH`, named after the run
    /// directory's path, so every process of the run and `status --run-dir` work out the same one.
    /// Not `$TMPDIR`: processes of one run may see different ones (Slurm sets one per job).
    public static func sockets(ofRunAt root: URL) -> URL {
        let inside = root.appendingPathComponent("sockets", isDirectory: true)
        guard inside.path.utf8.count + longestSocketName > maxSocketPath else { return inside }
        let tag = String(StableHash.of(root.path), radix: 16)
        return URL(fileURLWithPath: "/tmp/yendor-sockets-\(getuid())-\(tag)", isDirectory: true)
    }

    /// Bytes of a socket's path a Unix socket address holds (`sun_path`, less its terminating zero).
    static let maxSocketPath = 107
    /// The longest "/name" a role binds in `sockets`: "/env-server-999.4194304" (server index, pid), with room.
    static let longestSocketName = 24

    /// Makes `sockets` (only this user may reach the sockets in it; they take no key).
    public func makeSockets() throws {
        try FileManager.default.createDirectory(at: sockets, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    /// Where a one-process `yendor train` publishes its learner's heartbeats and Stats, for
    /// `status`/`health --run-dir` (it binds no other socket).
    public var statusEndpoint: String { "ipc://" + sockets.appendingPathComponent("status").path }
    public var resolvedConfiguration: URL { Self.resolvedConfiguration(in: root.path) }

    /// Where the run directory at `path` keeps its resolved configuration (`config.yaml`).
    public static func resolvedConfiguration(in path: String) -> URL {
        URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL.appendingPathComponent("config.yaml")
    }

    /// Takes the directory for this process until the returned lock is released or the process
    /// ends, however it ends (an advisory `flock` on `.lock`, which the kernel lets go): two runs
    /// writing one directory would interleave their metrics and mix their checkpoints. Throws
    /// naming the process that holds it.
    ///
    /// `listening`: false for a run whose roles share one process (one-process `yendor train`),
    /// which binds only its status socket (`statusEndpoint`); the lock file says so, so that
    /// `status`/`health --run-dir` ask there rather than at ports another run may be using.
    public func lock(listening: Bool = true) throws -> RunLock {
        let path = lockFile.path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Unwritable(path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw ConfigurationError(field: "run.dir", problem: "\(root.path) is in use by another run (pid \(holder.isEmpty ? "?" : holder)); use another run directory, or stop that run first")
        }
        let pid = Array("\(getpid())\(listening ? "" : " \(Self.inProcessMark)")\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        removeTornWrites()
        return RunLock(fd: fd)
    }

    /// Removes what a process killed in the middle of a write left: the temporary files and
    /// directories of atomic writes (`.NAME.tmp-PID`, and `replay.ckpt.tmp-PID` as versions before
    /// 2026-12-06 named it) in the directory and in `checkpoints/`. Only the holder of the lock
    /// writes here, so none is in use; a killed learner's is as large as its replay buffer.
    private func removeTornWrites() {
        let fm = FileManager.default
        for dir in [root, checkpoints] {
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.wholeMatch(of: /(\..+|replay\.ckpt)\.tmp-[0-9]+/) != nil {
                try? fm.removeItem(at: dir.appendingPathComponent(name))
            }
        }
    }

    /// What `.lock` says of the process that holds (or last held) this directory: "PID", or
    /// "PID in-process" for a run whose roles share one process.
    public var holder: (pid: Int32, listening: Bool)? {
        guard let text = try? String(contentsOf: lockFile, encoding: .utf8) else { return nil }
        let words = text.split(whereSeparator: \.isWhitespace)
        guard let pid = words.first.flatMap({ Int32($0) }) else { return nil }
        return (pid, !words.dropFirst().contains(Substring(Self.inProcessMark)))
    }

    private static let inProcessMark = "in-process"

    /// Whether a process holds this directory now (`.lock` is locked), asked without blocking: a
    /// pid in `.lock` may be another process's by now.
    public var isHeld: Bool {
        let fd = open(lockFile.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        _ = flock(fd, LOCK_UN)
        return false
    }

    /// Throws if the latest checkpoint here was written for another model than `c`'s, naming
    /// both: resuming it would fail, and the run's config.yaml must not be replaced meanwhile.
    public func checkResumable(by c: TrainingConfiguration) throws { _ = try resumePoint(for: c) }

    /// The checkpoint a learner of `c` resumes from (nil: none yet); throws as `checkResumable`.
    func resumePoint(for c: TrainingConfiguration) throws -> Checkpoints.Found? {
        guard let found = try Checkpoints(directory: checkpoints).latest() else { return nil }
        guard found.state.modelSignature == c.modelSignature else {
            throw ConfigurationError(field: "run.dir", problem: "the checkpoint in \(root.path) was written for a different model [\(found.state.modelSignature)], this run's is [\(c.modelSignature)]; use a new run directory")
        }
        return found
    }

    /// Writes a file atomically (temp file + rename), so a crash never leaves half a file.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try data.write(to: temp)
        if rename(temp.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}

/// A run directory held by this process (`RunDirectory.lock()`); released when this is freed.
public final class RunLock: Sendable {
    private let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}
