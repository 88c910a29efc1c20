import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Python OpenAI stand-in (Fixtures/openai_stub.py), started as a subprocess on an
/// ephemeral loopback port. Always `stop()` it at the end of a test.
final class StubServer: @unchecked Sendable {
    struct Stats: Decodable {
        var calls: Int
        var max_active: Int
        var prompt_counts: [Int]
        var authorization: String?
        /// Every prompt received, in order.
        var prompts: [String]
    }

    private let process = Process()
    /// Held open for the server's lifetime: the server exits at EOF on its stdin, so it
    /// never outlives this test process, even one killed by SIGKILL.
    private let lifeline = Pipe()
    private let stopped = Mutex(false)
    let port: Int

    /// - Parameter script: one step per completion call (see the fixture's docstring).
    init(script: [[String: Any]] = []) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/openai_stub.py")
        let scriptJSON = String(decoding: try JSONSerialization.data(withJSONObject: script), as: UTF8.self)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixture.path, scriptJSON]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        // The first line is "PORT <n>"; read until it is complete.
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw StubError.noPort(text)
        }
        self.port = port
    }

    enum StubError: Error { case noPort(String) }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    func stats() async throws -> Stats {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/stats")!)
        return try JSONDecoder().decode(Stats.self, from: data)
    }

    func setDown(_ down: Bool) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/control")!)
        request.httpMethod = "POST"
        request.httpBody = Data("{\"down\": \(down)}".utf8)
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
