import Foundation
import Logging
import Synchronization
import Testing
import YendorRuntime

/// `ProcessSupervisor` with real child processes (/bin/sh).
@Suite struct ProcessSupervisorTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("supervisor-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func lines(_ log: URL, _ text: String) -> Int {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0 == text }.count
    }

    /// Polls `condition` every 20 ms until it holds; false after `timeout` seconds (a hang guard).
    static func wait(timeout: Double = 120, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func aChildThatDiesIsStartedAgainWithItsLogAppendedToAndNotAfterStop() async throws {
        let log = try Self.scratch("restart").appendingPathComponent("child.log")
        let supervisor = ProcessSupervisor(executable: URL(fileURLWithPath: "/bin/sh"),
                                           children: [.init(name: "sleeper", arguments: ["-c", "echo up; exec sleep 1000"], log: log)],
                                           persistence: .giveUp(after: 3), firstDelay: 0.01)
        defer { supervisor.stop() }
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet)
        #expect(await Self.wait { Self.lines(log, "up") == 1 })
        let first = try #require(supervisor.process(0))
        kill(first.processIdentifier, SIGKILL)
        #expect(await Self.wait { Self.lines(log, "up") == 2 }, "not started again")
        let second = try #require(supervisor.process(0))
        #expect(second.processIdentifier != first.processIdentifier && second.isRunning)
        // SIGTERM, then SIGKILL after the grace period (a test runner's children may ignore SIGTERM).
        supervisor.stop(gracePeriod: 0.5)
        #expect(!second.isRunning && second.terminationReason == .uncaughtSignal)
        // Stopping is not an exit to recover from: nothing is started after it.
        #expect(supervisor.process(0)?.processIdentifier == second.processIdentifier && Self.lines(log, "up") == 2)
    }

    @Test func aChildThatKeepsExitingAtItsStartIsGivenUpOnWithItsLogsLastLines() async throws {
        let log = try Self.scratch("give-up").appendingPathComponent("child.log")
        let supervisor = ProcessSupervisor(executable: URL(fileURLWithPath: "/bin/sh"),
                                           children: [.init(name: "worker process w", arguments: ["-c", "echo 'Bind(98): Address already in use'; exit 3"], log: log)],
                                           persistence: .giveUp(after: 3), firstDelay: 0.01)
        defer { supervisor.stop() }
        let reasons = Mutex<[String]>([])
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet) { reason in reasons.withLock { $0.append(reason) } }
        #expect(await Self.wait { !reasons.withLock { $0 }.isEmpty })
        let reason = try #require(reasons.withLock { $0.first })
        #expect(reason.contains("worker process w exited with status 3, 3 times in a row"), "\(reason)")
        #expect(reason.contains("Bind(98): Address already in use"), "\(reason)")
        // Three starts (the first and two restarts), then none: given up means not started again.
        let last = try #require(supervisor.process(0))
        #expect(await Self.wait { !last.isRunning })
        #expect(Self.lines(log, "Bind(98): Address already in use") == 3)
        #expect(supervisor.process(0)?.processIdentifier == last.processIdentifier && reasons.withLock { $0.count } == 1)
    }

    @Test func aChildThatKeepsExitingIsStartedAgainForEverWhenOthersWaitForIt() async throws {
        let log = try Self.scratch("forever").appendingPathComponent("child.log")
        let supervisor = ProcessSupervisor(executable: URL(fileURLWithPath: "/bin/sh"),
                                           children: [.init(name: "env server", arguments: ["-c", "echo start; exit 1"], log: log)],
                                           persistence: .forever, firstDelay: 0.001)
        defer { supervisor.stop() }
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet) { _ in Issue.record("a .forever child was given up on") }
        // Past the give-up count a .giveUp child would have reached.
        #expect(await Self.wait { Self.lines(log, "start") >= 6 })
    }
}
