import Foundation
import Logging
import Synchronization

/// Child processes a command starts and keeps running for the run, e.g. `yendor train`'s env servers
/// (`yendor-env serve`) and worker processes (`yendor worker`). Each child's output is appended to a
/// log of its own; once supervised, a child that exits is started again after a delay that doubles
/// while it keeps exiting soon after its start; `stop()` ends them all.
public final class ProcessSupervisor: Sendable {
    /// One child: what it is called in the log and how it is started.
    public struct Child: Sendable {
        /// E.g. "env server 0 (ipc://…)" or "worker process worker-1".
        public let name: String
        public let arguments: [String]
        /// Its stdout and stderr, appended to.
        public let log: URL

        public init(name: String, arguments: [String], log: URL) {
            self.name = name
            self.arguments = arguments
            self.log = log
        }
    }

    /// Which exits are followed by a new start.
    public enum Persistence: Sendable {
        /// Every exit, for as long as the run lasts (others wait for the child: env servers); after
        /// five quick exits in a row each further one is logged as an error.
        case always
        /// A failure (a non-zero status, a signal, a start that failed), and a clean exit (status 0)
        /// only while `runIsOver` says no: a worker stopped by hand (SIGTERM) while its learner
        /// still trains is started again, one told that the run has finished is not. After
        /// `giveUpAfter` quick exits in a row the child is given up on (the run cannot go on without it).
        case onFailure(giveUpAfter: Int, runIsOver: @Sendable () -> Bool = { true })
    }

    /// What the supervisor did, in order (for a test, or a caller that reports them).
    public enum Event: Sendable, Equatable {
        /// Child `child` was started as process `pid`.
        case started(child: Int, pid: Int32)
        /// It ended (`ending`, e.g. "exited with status 3"); it is started again after `delay` seconds.
        case restarting(child: Int, ending: String, delay: Double)
        /// It ended and is not started again: a clean exit under `.onFailure`, or after `stop()`.
        case ended(child: Int, ending: String)
        /// It failed too often in a row soon after its start; not started again.
        case gaveUp(child: Int, ending: String)
    }

    public let children: [Child]
    private let executable: URL
    private let persistence: Persistence
    /// The delay before the first restart; it doubles while a child keeps exiting quickly, up to
    /// `max(5, firstDelay)` seconds.
    private let firstDelay: Double
    private let events: (@Sendable (Event) -> Void)?
    private let state: Mutex<State>

    private struct State {
        var processes: [Process?]
        var started: [Double]  // `Clock.now`
        /// Where each child's latest start began writing in its log (the log is appended to).
        var logOffsets: [UInt64]
        /// Exits in a row within `quickExit` seconds of a start, per child.
        var quickExits: [Int]
        /// Children with a start scheduled (an exit seen twice starts one process).
        var restarting: Set<Int> = []
        var supervised = false
        var logger: Logger?
        var gaveUp: (@Sendable (String) -> Void)?
        var stopping = false
    }

    /// A child that exits within `quickExit` seconds of its start counts as a quick exit; after
    /// `quickExitWarnings` of them in a row each further one is said as an error.
    private let quickExit: Double
    private static let quickExitWarnings = 5

    /// - Parameters:
    ///   - firstDelay: the first restart's delay (a worker's is a heartbeat interval: its learner has
    ///     been told it left, `WorkerDepartureNotice`, and lets go of the id at once).
    ///   - quickExit: an exit this many seconds or fewer after its start counts as quick (10: a
    ///     process that fails at its start; a test gives more, so that a loaded machine's slow start
    ///     still counts as one).
    ///   - events: told of every start, restart, end and give-up, in order, on the thread that saw
    ///     it (a start while the supervisor's lock is held: it must not call the supervisor).
    public init(executable: URL, children: [Child], persistence: Persistence, firstDelay: Double = 0.5,
                quickExit: Double = 10, events: (@Sendable (Event) -> Void)? = nil) {
        self.executable = executable
        self.children = children
        self.persistence = persistence
        self.firstDelay = firstDelay
        self.quickExit = quickExit
        self.events = events
        state = Mutex(State(processes: Array(repeating: nil, count: children.count), started: Array(repeating: Clock.now, count: children.count),
                            logOffsets: Array(repeating: 0, count: children.count), quickExits: Array(repeating: 0, count: children.count)))
    }

    deinit { stop() }

    /// Starts every child (their logs made if missing). Exits before `supervise` are handled then.
    public func start() throws {
        precondition(state.withLock { $0.processes.allSatisfy { $0 == nil } }, "ProcessSupervisor.start() called twice")
        for child in children where !FileManager.default.fileExists(atPath: child.log.path) {
            _ = FileManager.default.createFile(atPath: child.log.path, contents: nil)  // FileHandle below reports a failure
        }
        do {
            for k in children.indices { try launch(k) }
        } catch {
            stop()
            throw error
        }
    }

    /// Child `k`'s latest process (nil before `start`).
    public func process(_ k: Int) -> Process? { state.withLock { $0.processes[k] } }

    /// The process ids of the children's latest processes, in order (for measuring their CPU time).
    public var processIdentifiers: [Int32] { state.withLock { $0.processes.compactMap { $0?.processIdentifier } } }

    /// From now on a child that exits is handled as `persistence` says, saying so to `logger`; one
    /// that exited meanwhile is handled now. With `.onFailure`, `gaveUp` is called once, with the
    /// reason, when a child is given up on.
    public func supervise(logger: Logger, gaveUp: (@Sendable (String) -> Void)? = nil) {
        let exited = state.withLock { s -> [(Int, Process)] in
            s.supervised = true
            s.logger = logger
            s.gaveUp = gaveUp
            return s.processes.indices.compactMap { k in s.processes[k].flatMap { $0.isRunning ? nil : (k, $0) } }
        }
        for (k, p) in exited { handleExit(k, of: p, ending: Self.ending(p), status: Self.isClean(p) ? 0 : nil) }
    }

    /// Stops every child: SIGTERM, then SIGKILL to any still running after `gracePeriod` seconds.
    /// None is started again after this. (Blocks its thread until they have exited.)
    public func stop(gracePeriod: Double = 5, logger: Logger? = nil) {
        let processes = state.withLock { s -> [Process] in
            s.stopping = true
            return s.processes.compactMap { $0 }
        }
        for p in processes where p.isRunning { p.terminate() }
        let deadline = Clock.now + gracePeriod
        for p in processes {
            while p.isRunning && Clock.now < deadline { usleep(20_000) }
            if p.isRunning {
                logger?.warning("process \(p.processIdentifier) did not stop within \(Int(gracePeriod)) s; killing it")
                kill(p.processIdentifier, SIGKILL)
            }
        }
        for p in processes { while p.isRunning { usleep(5_000) } }
    }

    /// "exited with status N" or "was killed by signal N".
    public static func ending(_ p: Process) -> String {
        p.terminationReason == .uncaughtSignal ? "was killed by signal \(p.terminationStatus)" : "exited with status \(p.terminationStatus)"
    }

    /// Whether an `ending` (`ending(_:)`'s words) is a clean exit: a worker that exits so has said
    /// its own Goodbye.
    public static func isClean(ending: String) -> Bool { ending == "exited with status 0" }

    /// Whether `p` exited with status 0 (by its own choice, not a signal).
    private static func isClean(_ p: Process) -> Bool { p.terminationReason == .exit && p.terminationStatus == 0 }

    /// The last `characters` of what child `k`'s latest process wrote to its log: the same error
    /// from each of five failed starts said once, and never an earlier run's words.
    public func logTail(_ k: Int, characters: Int = 1500) -> String {
        guard let data = try? Data(contentsOf: children[k].log) else { return "" }
        let offset = Int(clamping: state.withLock { $0.logOffsets[k] })
        guard offset < data.count else { return "(its last start wrote nothing)" }
        return String(String(decoding: data.suffix(from: data.startIndex + offset), as: UTF8.self).suffix(characters))
    }

    /// Starts child `k`, its output appended to its log (nothing after `stop()`).
    private func launch(_ k: Int) throws {
        let p = Process()
        p.executableURL = executable
        p.arguments = children[k].arguments
        let handle = try FileHandle(forWritingTo: children[k].log)
        // The child has its own copy once started: this one was kept open, one per start.
        defer { try? handle.close() }
        let offset = handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        p.terminationHandler = { [weak self] process in
            self?.handleExit(k, of: process, ending: Self.ending(process), status: Self.isClean(process) ? 0 : nil)
        }
        try state.withLock { s in
            guard !s.stopping else { return }
            try p.run()
            s.processes[k] = p
            s.started[k] = Clock.now
            s.logOffsets[k] = offset
            // Told under the lock, so that it comes before this process's exit is handled.
            events?(.started(child: k, pid: p.processIdentifier))
        }
    }

    /// Child `k`'s process `process` ended (`ending`; `status` 0 for a clean exit, else nil; no
    /// process: a start that failed): started again, or not. An exit of a process that is no
    /// longer the child's latest is passed over.
    private func handleExit(_ k: Int, of process: Process?, ending: String, status: Int32?) {
        enum Decision { case restart(Logger, delay: Double, quickExits: Int), end(Logger?), giveUp(Logger, (@Sendable (String) -> Void)?, quickExits: Int) }
        let decision = state.withLock { s -> Decision? in
            guard s.supervised, process.map({ $0 === s.processes[k] }) ?? true, s.restarting.insert(k).inserted else { return nil }
            if s.stopping { return .end(nil) }
            if case .onFailure(_, let runIsOver) = persistence, status == 0, runIsOver() { return .end(s.logger) }
            s.quickExits[k] = Clock.now - s.started[k] < quickExit ? s.quickExits[k] + 1 : 0
            guard let logger = s.logger else { return nil }
            if case .onFailure(let limit, _) = persistence, s.quickExits[k] >= limit {
                s.stopping = true  // the run ends: nothing is started again
                let gaveUp = s.gaveUp
                s.gaveUp = nil
                return .giveUp(logger, gaveUp, quickExits: s.quickExits[k])
            }
            let delay = min(firstDelay * Double(1 << min(max(0, s.quickExits[k] - 1), 4)), max(5, firstDelay))
            return .restart(logger, delay: delay, quickExits: s.quickExits[k])
        }
        let child = children[k]
        switch decision {
        case nil: return
        case .end(let logger):
            logger?.info("\(child.name) \(ending)")
            events?(.ended(child: k, ending: ending))
        case .giveUp(let logger, let gaveUp, let quickExits):
            let reason = "\(child.name) \(ending), \(quickExits) times in a row within \(Int(quickExit)) s of its start; its log (\(child.log.path)) ends:\n\(logTail(k))"
            logger.error("\(reason)")
            events?(.gaveUp(child: k, ending: ending))
            gaveUp?(reason)
        case .restart(let logger, let delay, let quickExits):
            if quickExits > Self.quickExitWarnings {
                logger.error("\(child.name) \(ending), \(quickExits) times in a row within \(Int(quickExit)) s of its start; starting it again in \(delay) s, but see \(child.log.path)")
            } else {
                logger.warning("\(child.name) \(ending); starting it again in \(delay) s (its log: \(child.log.path))")
            }
            events?(.restarting(child: k, ending: ending, delay: delay))
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
                guard let self else { return }
                self.state.withLock { _ = $0.restarting.remove(k) }
                do { try self.launch(k) } catch {
                    // A start that fails is a quick failure like any other: tried again, or given up on.
                    self.state.withLock { $0.started[k] = Clock.now }
                    self.handleExit(k, of: nil, ending: "could not be started (\(error))", status: nil)
                }
            }
        }
    }
}
