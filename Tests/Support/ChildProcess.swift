import Foundation
import Synchronization

/// A real child process for integration tests: usually the `yendor` binary playing a peer.
/// Stdout lines are collected; the process is killed when the test drops it.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Mutex<[String]>([])
    private let errors = Mutex<String>("")
    private var partial = ""
    /// Pipes (stdout, stderr) that reached end of file: all the child wrote has been collected.
    private let pipesClosed = Mutex<Int>(0)

    /// Starts `yendor` (built next to the test bundle) with arguments.
    /// Waits default to 10 minutes: they only catch hangs, and a loaded CI machine is slow.
    /// `directory`, if given, is the child's working directory.
    public convenience init(yendor arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        try self.init(executable: ChildProcess.yendorBinary, arguments: arguments, environment: environment, directory: directory)
    }

    public init(executable: URL, arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"  // a crashing child must not hang in the backtracer
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                if !self.partial.isEmpty { self.output.withLock { $0.append(self.partial) } }
                self.partial = ""
                self.pipesClosed.withLock { $0 += 1 }
                return
            }
            self.partial += String(decoding: data, as: UTF8.self)
            var lines = self.partial.components(separatedBy: "\n")
            self.partial = lines.removeLast()
            self.output.withLock { $0.append(contentsOf: lines) }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                self.pipesClosed.withLock { $0 += 1 }
                return
            }
            self.errors.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    deinit { kill() }

    public var lines: [String] { output.withLock { $0 } }
    public var standardError: String { errors.withLock { $0 } }
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Waits until a stdout line satisfies `predicate`, polling; nil on timeout or exit.
    public func waitForLine(timeout: Double = 600, _ predicate: (String) -> Bool) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = lines.first(where: predicate) { return line }
            if !process.isRunning {
                await outputCollected()
                return lines.first(where: predicate)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Waits until stderr (where roles log) contains `text`; false on timeout or exit.
    public func waitForStandardError(containing text: String, timeout: Double = 600) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if standardError.contains(text) { return true }
            if !process.isRunning {
                await outputCollected()
                return standardError.contains(text)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits for exit; returns the status, or nil if it is still running after `timeout` seconds.
    public func waitForExit(timeout: Double = 600) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        await outputCollected()
        return process.terminationStatus
    }

    /// After the child exited: waits until both pipes reached end of file, so everything it wrote is
    /// in `lines` and `standardError`. A grandchild that inherited the pipes keeps them open; the
    /// wait then gives up after `cap` seconds rather than outlive the test.
    private func outputCollected(cap: Double = 30) async {
        let deadline = Date().addingTimeInterval(cap)
        while pipesClosed.withLock({ $0 }) < 2 && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    public func signal(_ sig: Int32) { if process.isRunning { Foundation.kill(process.processIdentifier, sig) } }

    public func kill() { signal(SIGKILL) }

    /// The `yendor` executable: $YENDOR_BINARY, or the one built next to the test bundle.
    public static var yendorBinary: URL {
        if let path = ProcessInfo.processInfo.environment["YENDOR_BINARY"] { return URL(fileURLWithPath: path) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("yendor")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/yendor")
    }

    /// A process on this machine, from /proc: its id, its parent's and its arguments.
    public struct Listed: Sendable {
        public var pid: Int32
        public var parent: Int32
        public var arguments: [String]
    }

    /// The processes on this machine for which `include` holds (read from /proc).
    public static func processes(where include: (Listed) -> Bool) -> [Int32] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            guard let stat = stat(pid), let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return include(Listed(pid: pid, parent: stat.parent, arguments: arguments))
        }
    }

    /// Running and not a zombie (an exited child its parent has not reaped yet).
    public static func isAlive(_ pid: Int32) -> Bool { stat(pid).map { $0.state != "Z" } ?? false }

    /// A process's state letter and parent, from /proc/PID/stat: "pid (comm) state ppid …", where
    /// comm may hold spaces and parentheses, so the fields are read after the last ')'.
    private static func stat(_ pid: Int32) -> (state: Substring, parent: Int32)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let parent = Int32(fields[1]) else { return nil }
        return (fields[0], parent)
    }

    /// A TCP port that was free a moment ago on 127.0.0.1.
    public static func freePort() -> Int { freePortRange(count: 1) }

    /// The first of `count` consecutive TCP ports that were all free a moment ago on 127.0.0.1.
    /// They lie below Linux's ephemeral range (32768–60999): a port the kernel picked for us
    /// (bind to port 0) is also where it puts the local end of any test's outgoing connection,
    /// and once a learner failed with EADDRINUSE because a worker of another test had
    /// connected from the port it was given. Ports are handed out in turn from one counter,
    /// so no two calls in this test process get the same port.
    public static func freePortRange(count: Int) -> Int {
        func isFree(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(port).bigEndian
            let len = socklen_t(MemoryLayout<sockaddr_in>.size)
            return withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } } == 0
        }
        let low = 20000, span = 32768 - low
        while true {
            let offset = nextPort.wrappingAdd(count, ordering: .relaxed).oldValue % span
            guard offset + count <= span else { continue }
            let base = low + offset
            if (base..<(base + count)).allSatisfy(isFree) { return base }
        }
    }

    /// Where `freePortRange` looks next; starts at a random place so that two test
    /// processes rarely walk the same ports.
    private static let nextPort = Atomic<Int>(Int.random(in: 0..<12000))

    /// A fresh ipc:// endpoint in the temporary directory.
    public static func ipcEndpoint(_ name: String) -> String {
        "ipc://\(Scratch.path)yendor-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }
}
