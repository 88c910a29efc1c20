import Foundation
import Logging
import YendorTransport
import YendorWire
import ZeroMQ

/// A one-process `yendor train`'s learner link, which also publishes the learner's heartbeats and
/// Stats on a PUB socket of its own in the run directory (`RunDirectory.statusEndpoint`), so that
/// `yendor status`/`health --run-dir` can watch a run whose learner and worker share a process.
/// Weights stay off it: a probe needs none, and the run pays nothing more while nobody watches.
final class WatchedLearnerLink: LearnerLink {
    private let inner: any LearnerLink
    private let watch: AsyncSocket
    private let endpoint: String

    private init(inner: any LearnerLink, watch: AsyncSocket, endpoint: String) {
        self.inner = inner
        self.watch = watch
        self.endpoint = endpoint
    }

    /// `inner` with the status socket bound at `runDirectory.statusEndpoint`; `inner` alone, said
    /// in the log, when it cannot be bound (a path too long for a Unix socket, say): training does
    /// not depend on being watched.
    static func wrapping(_ inner: any LearnerLink, runDirectory: RunDirectory, context: Context, logger: Logger) async -> any LearnerLink {
        let endpoint = runDirectory.statusEndpoint
        do {
            try runDirectory.makeSockets()
            let watch = try await AsyncSocket(context: context, type: .pub, name: "learner.status") { s in
                try s.set([.sendHighWaterMark(16), .linger(milliseconds: 0)])
                try s.bind(endpoint)
            }
            return WatchedLearnerLink(inner: inner, watch: watch, endpoint: endpoint)
        } catch {
            logger.warning("yendor status and health cannot watch this run: \(endpoint) could not be bound (\(error)); metrics.jsonl and TensorBoard still can")
            return inner
        }
    }

    func receive() async -> Received? { await inner.receive() }

    var queuedMessages: Int { inner.queuedMessages }

    func publish(_ message: WireMessage) async {
        await inner.publish(message)
        switch message {
        case .heartbeat, .stats:
            // Never waits: a probe that does not read misses messages, as any subscriber does.
            _ = watch.trySend([message.encoded()])
        default:
            break
        }
    }

    func close(reason: String) async {
        await inner.close(reason: reason)
        await watch.close()
        TransportConfiguration.removeSocketFile(of: endpoint)
    }
}
