import Foundation
import Logging
import Synchronization

/// Child processes a command starts and keeps running for the run, e.g. `yendor train`'s env servers
/// (`yendor-env serve`) and worker processes (`yendor worker`). Each child's output is appended to a
/// log of its own; once supervised, a child that exits is started again after a delay that doubles
/// from 0.5 s to 5 s while it keeps exiting soon after its start; `stop()` ends them all.
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

    /// What to do about a child that keeps exiting soon after its start.
    public enum Persistence: Sendable {
        /// Start it again every 5 s for ever (others wait for it: env servers), saying so as an error.
        case forever
        /// Give up after this many quick exits in a row: the run cannot go on without it.
        case giveUp(after: Int)
    }

    public let children: [Child]
    private let executable: URL
    private let persistence: Persistence
    /// The delay before the first restart; it doubles while a child keeps exiting quickly, up to 5 s.
    private let firstDelay: Double
    private let state: Mutex<State>

    private struct State {
        var processes: [Process?]
        var started: [Date]
        /// Exits in a row within `quickExit` seconds of a start, per child.
        var quickExits: [Int]
        /// Children with a start scheduled (an exit seen twice starts one process).
        var restarting: Set<Int> = []
        var logger: Logger?
        var gaveUp: (@Sendable (String) -> Void)?
        var stopping = false
    }

    /// A child that exits this soon after its start counts as a quick exit; after
    /// `quickExitWarnings` of them in a row each further one is said as an error.
    private static let quickExit = 10.0, quickExitWarnings = 5

    public init(executable: URL, children: [Child], persistence: Persistence, firstDelay: Double = 0.5) {
        self.executable = executable
        self.firstDelay = firstDelay
        self.children = children
        self.persistence = persistence
        state = Mutex(State(processes: Array(repeating: nil, count: children.count), started: Array(repeating: Date(), count: children.count),
                            quickExits: Array(repeating: 0, count: children.count)))
    }

    deinit { stop() }

    /// Starts every child (their logs made if missing). Exits before `supervise` are not restarted.
    public func start() throws {
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

    /// Child `k`'s process as started last (nil before `start`).
    public func process(_ k: Int) -> Process? { state.withLock { $0.processes[k] } }

    /// The process ids of the children, in order (for measuring their CPU time).
    public var processIdentifiers: [Int32] { state.withLock { $0.processes.compactMap { $0?.processIdentifier } } }

    /// From now on a child that exits is started again, saying so to `logger`; one that exited
    /// meanwhile is started now. With `.giveUp`, `gaveUp` is called once, with the reason, when a
    /// child has exited too often in a row soon after its start; it is not started again.
    public func supervise(logger: Logger, gaveUp: (@Sendable (String) -> Void)? = nil) {
        let exited = state.withLock { s -> [(Int, String)] in
            s.logger = logger
            s.gaveUp = gaveUp
            return s.processes.indices.compactMap { k in
                guard let p = s.processes[k], !p.isRunning else { return nil }
                return (k, Self.ending(p))
            }
        }
        for (k, ending) in exited { restart(k, ending: ending) }
    }

    /// Stops every child: SIGTERM, then SIGKILL to any still running after `gracePeriod` seconds.
    /// None is started again after this.
    public func stop(gracePeriod: Double = 5, logger: Logger? = nil) {
        let processes = state.withLock { s -> [Process] in
            s.stopping = true
            return s.processes.compactMap { $0 }
        }
        for p in processes where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(gracePeriod)
        for p in processes {
            while p.isRunning && Date() < deadline { usleep(20_000) }
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

    /// The last `characters` of child `k`'s log.
    public func logTail(_ k: Int, characters: Int = 1500) -> String {
        String(((try? String(contentsOf: children[k].log, encoding: .utf8)) ?? "").suffix(characters))
    }

    /// Starts child `k`, its output appended to its log.
    private func launch(_ k: Int) throws {
        let p = Process()
        p.executableURL = executable
        p.arguments = children[k].arguments
        let handle = try FileHandle(forWritingTo: children[k].log)
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        p.terminationHandler = { [weak self] process in self?.restart(k, ending: Self.ending(process)) }
        try state.withLock { s in
            s.restarting.remove(k)
            guard !s.stopping else { return }
            try p.run()
            s.processes[k] = p
            s.started[k] = Date()
        }
    }

    /// Child `k` ended (`ending`): started again once supervised and not stopping, or given up on.
    private func restart(_ k: Int, ending: String) {
        enum Decision { case restart(Logger, delay: Double, quickExits: Int), giveUp(Logger, (@Sendable (String) -> Void)?, quickExits: Int) }
        let decision = state.withLock { s -> Decision? in
            guard let logger = s.logger, !s.stopping, let p = s.processes[k], !p.isRunning,
                  s.restarting.insert(k).inserted else { return nil }
            s.quickExits[k] = Date().timeIntervalSince(s.started[k]) < Self.quickExit ? s.quickExits[k] + 1 : 0
            if case .giveUp(let limit) = persistence, s.quickExits[k] >= limit {
                s.stopping = true  // the run ends: nothing is started again
                let gaveUp = s.gaveUp
                s.gaveUp = nil
                return .giveUp(logger, gaveUp, quickExits: s.quickExits[k])
            }
            return .restart(logger, delay: min(firstDelay * Double(1 << min(max(0, s.quickExits[k] - 1), 4)), 5), quickExits: s.quickExits[k])
        }
        let child = children[k]
        switch decision {
        case nil: return
        case .giveUp(let logger, let gaveUp, let quickExits):
            let reason = "\(child.name) \(ending), \(quickExits) times in a row within \(Int(Self.quickExit)) s of its start; its log (\(child.log.path)) ends:\n\(logTail(k))"
            logger.error("\(reason)")
            gaveUp?(reason)
        case .restart(let logger, let delay, let quickExits):
            if quickExits > Self.quickExitWarnings {
                logger.error("\(child.name) \(ending), \(quickExits) times in a row within \(Int(Self.quickExit)) s of its start; starting it again in \(delay) s, but see \(child.log.path)")
            } else {
                logger.warning("\(child.name) \(ending); starting it again in \(delay) s (its log: \(child.log.path))")
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
                guard let self else { return }
                do { try self.launch(k) } catch {
                    logger.error("\(child.name) could not be started again: \(error)")
                }
            }
        }
    }
}
