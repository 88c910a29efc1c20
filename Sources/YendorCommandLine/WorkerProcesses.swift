import Foundation
import Logging
import ServiceLifecycle
import YendorRuntime
import YendorSupport

/// `yendor train --workers N`'s worker processes, as a service of the learner's group. Registered
/// after the learner, it is stopped before it (a group stops its services in reverse order): each
/// worker's last trajectories reach a learner that still listens, and its Goodbye is heard.
///
/// A worker that fails is started again and rejoins under its id, which the learner lets go of at
/// once: a worker that could not say Goodbye (killed, crashed) has it said for it. One that keeps
/// failing at its start (a refused layout, a bad setting) ends the run with its log's last lines,
/// rather than leave the learner waiting at 0 steps/s. A worker that exits cleanly is done once the
/// run has finished; before that, it was stopped by hand (SIGTERM) and is started again.
struct WorkerProcesses: Service {
    /// The `yendor worker` processes to run.
    let children: [ProcessSupervisor.Child]
    /// The first restart's delay, in seconds (it doubles while a worker keeps failing).
    let firstRestartDelay: Double
    /// How long the workers have to stop after SIGTERM before they are killed, in seconds.
    let gracePeriod: Double
    /// Whether the learner has finished (a worker that then exits cleanly is not started again).
    let runIsOver: @Sendable () -> Bool
    /// Says Goodbye for a worker whose process died.
    let departures: WorkerDepartureNotice
    let logger: Logger

    /// A worker process `train --workers N` could not keep running.
    struct Failure: Error, CustomStringConvertible {
        let reason: String
        var description: String { "the run stopped: \(reason)" }
    }

    func run() async throws {
        let supervisor = ProcessSupervisor(executable: Executable.current, children: children,
                                           persistence: .onFailure(giveUpAfter: 5, runIsOver: runIsOver),
                                           firstDelay: firstRestartDelay, events: { [departures] event in
            guard case .restarting(let k, let ending, _) = event, !ProcessSupervisor.isClean(ending: ending) else { return }
            departures.left("worker-\(k)", reason: "its process \(ending); train starts it again")
        })
        defer { supervisor.stop(gracePeriod: 0) }  // already stopped, unless starting them failed
        try supervisor.start()
        logger.info("started \(children.count) worker processes; their logs are in \(children.first.map { $0.log.deletingLastPathComponent().path } ?? "")")
        let gaveUp = AsyncBoundedQueue<String>(capacity: 1)
        supervisor.supervise(logger: logger) { reason in gaveUp.trySend(reason) }
        // Until the group stops (a signal, the learner's budget) or a worker is given up on.
        let reason = await withGracefulShutdownHandler { await gaveUp.receive() } onGracefulShutdown: { _ = gaveUp.close() }
        try await OwnThread.run { [gracePeriod, logger] in supervisor.stop(gracePeriod: gracePeriod, logger: logger) }
        if let reason { throw Failure(reason: reason) }
    }
}
