import Foundation
import Logging
import Synchronization
import Testing
import YendorRuntime
import YendorTestSupport

/// `ProcessSupervisor` with real child processes (/bin/sh), checked through its events.
@Suite struct ProcessSupervisorTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A supervisor of one `/bin/sh -c script` child named `name`, logging to a scratch file, with
    /// restarts after 0.01 s (doubling), and the events it has told so far. Every exit counts as
    /// quick (within an hour of its start): a shell on a loaded machine took over 10 s, the
    /// default, to start and exit, and its failures in a row were counted from 0 again.
    static func supervisor(_ name: String, script: String, persistence: ProcessSupervisor.Persistence) throws
        -> (ProcessSupervisor, log: URL, events: @Sendable () -> [ProcessSupervisor.Event]) {
        let dir = Scratch.root.appendingPathComponent("supervisor-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let log = dir.appendingPathComponent("child.log")
        let child = ProcessSupervisor.Child(name: name, arguments: ["-c", script], log: log)
        let events = Mutex<[ProcessSupervisor.Event]>([])
        let supervisor = ProcessSupervisor(executable: URL(fileURLWithPath: "/bin/sh"), children: [child], persistence: persistence,
                                           firstDelay: 0.01, quickExit: 3600) { event in events.withLock { $0.append(event) } }
        return (supervisor, log, { events.withLock { $0 } })
    }

    static func lines(_ log: URL, _ text: String) -> Int {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0 == text }.count
    }

    static func starts(_ events: [ProcessSupervisor.Event]) -> [Int32] {
        events.compactMap { if case .started(_, let pid) = $0 { pid } else { nil } }
    }

    @Test func aChildThatDiesIsStartedAgainWithItsLogAppendedToAndNotAfterStop() async throws {
        let (supervisor, log, events) = try Self.supervisor("sleeper", script: "echo up; exec sleep 1000", persistence: .onFailure(giveUpAfter: 3))
        defer { supervisor.stop() }
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet)
        #expect(await Poll.until { Self.starts(events()).count == 1 && Self.lines(log, "up") == 1 })
        let first = Self.starts(events())[0]
        kill(first, SIGKILL)
        #expect(await Poll.until { Self.starts(events()).count == 2 && Self.lines(log, "up") == 2 }, "not started again: \(events())")
        #expect(events().contains(.restarting(child: 0, ending: "was killed by signal 9", delay: 0.01)), "\(events())")
        let second = try #require(supervisor.process(0))
        #expect(second.processIdentifier == Self.starts(events())[1] && second.processIdentifier != first)
        // The supervisor holds no descriptor of the log: one stayed open per start (a worker that
        // kept failing leaked one each time).
        // (Polled: the start is told just before its copy is closed.)
        func held() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == log.path
            }
        }
        #expect(await Poll.until { held().isEmpty }, "descriptors of \(log.path): \(held())")
        // SIGTERM, then SIGKILL after the grace period (a test runner's children may ignore SIGTERM).
        supervisor.stop(gracePeriod: 0.5)
        #expect(!second.isRunning && second.terminationReason == .uncaughtSignal)
        // The exit stop() caused is handled as the end, not a failure to recover from.
        #expect(await Poll.until { events().contains { if case .ended = $0 { true } else { false } } }, "\(events())")
        #expect(Self.starts(events()).count == 2, "\(events())")
    }

    @Test func aChildThatKeepsFailingAtItsStartIsGivenUpOnWithItsLogsLastLines() async throws {
        let (supervisor, log, events) = try Self.supervisor("worker process w", script: "echo 'Bind(98): Address already in use'; exit 3",
                                                            persistence: .onFailure(giveUpAfter: 3))
        defer { supervisor.stop() }
        let reasons = Mutex<[String]>([])
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet) { reason in reasons.withLock { $0.append(reason) } }
        #expect(await Poll.until { !reasons.withLock { $0 }.isEmpty })
        let reason = try #require(reasons.withLock { $0.first })
        #expect(reason.contains("worker process w exited with status 3, 3 times in a row"), "\(reason)")
        // The last start's words, once, not the same line from each start.
        #expect(reason.components(separatedBy: "Bind(98): Address already in use").count == 2, "\(reason)")
        // Three starts (the first and two restarts), then none: given up means not started again.
        #expect(Self.starts(events()).count == 3 && events().last == .gaveUp(child: 0, ending: "exited with status 3"), "\(events())")
        #expect(Self.lines(log, "Bind(98): Address already in use") == 3)
        #expect(reasons.withLock { $0.count } == 1)
    }

    /// A worker that exits with status 0 was told the run has finished: it is done, not failed.
    @Test func aCleanExitEndsAChildThatIsRestartedOnFailureOnly() async throws {
        let (supervisor, log, events) = try Self.supervisor("worker process w", script: "echo finished; exit 0", persistence: .onFailure(giveUpAfter: 3))
        defer { supervisor.stop() }
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet) { reason in Issue.record("given up on a clean exit: \(reason)") }
        #expect(await Poll.until { events().contains(.ended(child: 0, ending: "exited with status 0")) }, "\(events())")
        #expect(Self.starts(events()).count == 1 && Self.lines(log, "finished") == 1, "\(events())")
    }

    @Test func aChildThatKeepsExitingIsStartedAgainForEverWhenOthersWaitForIt() async throws {
        let (supervisor, log, events) = try Self.supervisor("env server", script: "echo start; exit 0", persistence: .always)
        defer { supervisor.stop() }
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet) { _ in Issue.record("an .always child was given up on") }
        // Past the give-up count an .onFailure child would have reached, clean exits included.
        #expect(await Poll.until { Self.starts(events()).count >= 6 && Self.lines(log, "start") >= 6 }, "\(events())")
    }

    /// A restart that cannot start the process (here its log's directory is gone) is a failure like
    /// an exit: tried again, then given up on, instead of a child left dead without a word.
    @Test func aRestartThatCannotStartTheChildIsAFailureLikeAnExit() async throws {
        let (supervisor, log, events) = try Self.supervisor("worker process w", script: "exec sleep 1000", persistence: .onFailure(giveUpAfter: 3))
        defer { supervisor.stop() }
        let reasons = Mutex<[String]>([])
        try supervisor.start()
        supervisor.supervise(logger: Self.quiet) { reason in reasons.withLock { $0.append(reason) } }
        #expect(await Poll.until { Self.starts(events()).count == 1 })
        try FileManager.default.removeItem(at: log.deletingLastPathComponent())
        kill(Self.starts(events())[0], SIGKILL)
        #expect(await Poll.until { !reasons.withLock { $0 }.isEmpty }, "\(events())")
        #expect(reasons.withLock { $0.first ?? "" }.contains("worker process w could not be started"), "\(reasons.withLock { $0 })")
        #expect(Self.starts(events()).count == 1, "\(events())")
    }
}
