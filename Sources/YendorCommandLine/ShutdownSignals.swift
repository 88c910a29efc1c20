import Dispatch
import Foundation
import Logging
import RemoteEnvironment
import ServiceLifecycle
import Synchronization
import YendorSupport

/// A command that runs a role: SIGINT and SIGTERM stop it gracefully from its first moment
/// (`ShutdownSignals`), not only once its service group runs.
protocol RoleCommand {}

/// SIGINT and SIGTERM in a role's process, caught from the start of the command for the life of the
/// process. A service group takes signals over only once it runs; before that (the command reading
/// its configuration, starting env servers, waiting for one's spec: up to seconds under load) a
/// signal killed the process by its default action, leaving its env servers and socket files
/// behind. Here a signal is remembered: it ends the waits of the set-up (`flag`), and the group,
/// however early the signal came, starts and stops at once.
enum ShutdownSignals {
    /// Raised by the first SIGINT or SIGTERM; the waits before a role's group runs watch it.
    static let flag = StopFlag()

    /// The groups running now, which a signal stops.
    private static let groups = Mutex<[ObjectIdentifier: ServiceGroup]>([:])
    /// The write end of the pipe through which the signal handler says a signal came, and the
    /// source reading it. Written only by `install`, before the handler can run.
    nonisolated(unsafe) private static var pipeWrite: Int32 = -1
    nonisolated(unsafe) private static var source: (any DispatchSourceRead)?

    /// Starts catching both signals (a role command, before it runs). Other commands keep the
    /// default action, so Ctrl-C ends a benchmark at once.
    static func install() {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return }
        // Not inherited by the processes a role starts (workers, env servers).
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        pipeWrite = ends[1]
        _ = flag.isSet  // made now: the handler must not be the first to touch it
        // A plain handler that only raises the flag and writes a byte (async-signal-safe), read
        // off the handler by a dispatch source. Not a signal source: it needs SIG_IGN, and libdispatch
        // installs its own handler only later, asynchronously, so a signal in between was lost
        // (seen: a `train` signalled 10 ms after its start trained on).
        let read = DispatchSource.makeReadSource(fileDescriptor: ends[0], queue: .global())
        read.setEventHandler {
            var bytes = [UInt8](repeating: 0, count: 64)
            _ = Glibc.read(ends[0], &bytes, bytes.count)
            received()
        }
        read.resume()
        source = read
        for number in [SIGINT, SIGTERM] {
            signal(number) { _ in
                ShutdownSignals.flag.set()
                var byte: UInt8 = 1
                _ = write(ShutdownSignals.pipeWrite, &byte, 1)
            }
        }
    }

    private static func received() {
        // Under the lock `run` registers with: a group registered after this saw the flag raised.
        for group in groups.withLock({ Array($0.values) }) { Task { await group.triggerGracefulShutdown() } }
    }

    /// A process started by another `yendor` with `--parent-pid` (the workers of `train --workers
    /// N`, the training runs of `bench train`) whose starter was killed, not stopped (which stops
    /// its children itself), stops as on SIGTERM instead of running on unwatched: a worker would
    /// retry the learner that went with its starter for ever. `starter` names it in the log.
    /// Polled: a parent-death signal follows the thread that started the child, not the process.
    static func stopWhenGone(parent: Int32, starter: String, logger: Logger) -> Task<Void, Never> {
        Task.detached {
            while !Task.isCancelled {
                if getppid() != parent {
                    logger.notice("\(starter) (pid \(parent)) is gone; stopping")
                    kill(getpid(), SIGTERM)
                    return
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Runs `group` until it ends; the first signal stops it gracefully, also one that came before
    /// it started (the group then starts its services and stops them at once).
    static func run(_ group: ServiceGroup) async throws {
        let key = ObjectIdentifier(group)
        let early = groups.withLock { groups in
            groups[key] = group
            return flag.isSet
        }
        defer { _ = groups.withLock { $0.removeValue(forKey: key) } }
        if early { await group.triggerGracefulShutdown() }
        try await group.run()
    }
}
