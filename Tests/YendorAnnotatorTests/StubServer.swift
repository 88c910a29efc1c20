import Foundation
import Synchronization
import YendorTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Python OpenAI stand-in (Fixtures/openai_stub.py), started as a subprocess on an
/// ephemeral loopback port. Always `stop()` it at the end of a test.
final class StubServer: @unchecked Sendable {
    struct Stats: Decodable {
        var calls: Int
        /// Requests the stub is handling right now (e.g. stalled ones).
        var active: Int
        var max_active: Int
        var prompt_counts: [Int]
        var authorization: String?
        /// Every prompt received, in order.
        var prompts: [String]
        /// The prompts of every complete 200 answer written to a connected client: paid for.
        var answered: [String]
        /// Prompts whose client had gone when their answer was ready (not sent).
        var abandoned: [String]
        /// Faults injected, by kind (`reset`, `drop`, `truncate`, `status_429`, `body`, ...).
        var faults: [String: Int]

        /// How many prompts mentioning `caption` were received.
        func asks(_ caption: String) -> Int { prompts.count { $0.contains(caption) } }
        /// How many answers for prompts mentioning `caption` were delivered (paid for).
        func answers(_ caption: String) -> Int { answered.count { $0.contains(caption) } }
    }

    private let process = Process()
    /// Held open for the server's lifetime: the server exits at EOF on its stdin, so it
    /// never outlives this test process, even one killed by SIGKILL.
    private let lifeline = Pipe()
    private let stopped = Mutex(false)
    let port: Int
    /// A port that listens but never accepts: connections to it never open.
    let blackholePort: Int

    /// - Parameter script: one step per completion call (see the fixture's docstring).
    convenience init(script: [[String: Any]] = []) throws {
        try self.init(behaviour: ["script": script])
    }

    /// - Parameter behaviour: `script`, `rules` (steps for prompts containing `match`) and
    ///   `random` faults (see the fixture's docstring).
    convenience init(behaviour: [String: Any]) throws {
        try self.init(behaviourJSON: String(decoding: try JSONSerialization.data(withJSONObject: behaviour), as: UTF8.self))
    }

    /// Starts a stub without holding a thread of the cooperative pool while Python starts (it
    /// waits for the server's first line, which takes seconds on a loaded machine).
    static func started(behaviour: [String: Any]) async throws -> StubServer {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: behaviour), as: UTF8.self)
        return try await offPool { try StubServer(behaviourJSON: json) }
    }

    static func started(script: [[String: Any]] = []) async throws -> StubServer {
        try await started(behaviour: ["script": script])
    }

    init(behaviourJSON scriptJSON: String) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/openai_stub.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixture.path, scriptJSON]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        // The first line is "PORT <n> BLACKHOLE <m>"; read until it is complete.
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let words = text.split(separator: "\n").first?.split(separator: " ") ?? []
        guard words.count == 4, words[0] == "PORT", words[2] == "BLACKHOLE", let port = Int(words[1]), let hole = Int(words[3]) else {
            process.terminate()
            throw StubError.noPort(text)
        }
        self.port = port
        blackholePort = hole
    }

    enum StubError: Error { case noPort(String) }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }
    /// An API root whose connections never open.
    var blackholeURL: URL { URL(string: "http://127.0.0.1:\(blackholePort)/v1")! }

    func stats() async throws -> Stats {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/stats")!)
        return try JSONDecoder().decode(Stats.self, from: data)
    }

    func setDown(_ down: Bool) async throws {
        try await control(["down": down])
    }

    /// Replaces the rules (e.g. `[]`: every call answered normally from now on).
    func setRules(_ rules: [[String: Any]]) async throws {
        try await control(["rules": rules])
    }

    private func control(_ settings: [String: Any]) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/control")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: settings)
        _ = try await URLSession.shared.data(for: request)
    }

    /// Sends SIGTERM. Deliberately no `waitUntilExit()`: it spins a run loop on the calling
    /// thread, and with two cooperative threads two tests stopping at once deadlocked the
    /// whole test process. Foundation reaps the child on its own.
    func stop() {
        guard stopped.withLock({ stopped in defer { stopped = true }; return !stopped }) else { return }
        try? lifeline.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }

    deinit { stop() }
}
