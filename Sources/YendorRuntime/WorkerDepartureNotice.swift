import Foundation
import YendorWire
import ZeroMQ

/// Says Goodbye to the learner on behalf of a worker process that died without saying it (killed,
/// crashed): `yendor train --workers N` starts its workers and sees them exit, and its learner
/// then lets go of the id at once, rather than warn after a peer timeout that the worker "timed
/// out" while the restarted one waits for the id. A Goodbye like the worker's own, on the socket
/// workers send on (`transport.trajectories`, with the configured CURVE keys).
public final class WorkerDepartureNotice: Sendable {
    private let socket: AsyncSocket

    public init(transport t: TransportConfiguration, context: Context) async throws {
        let security = try t.clientSecurity()
        socket = try await AsyncSocket(context: context, type: .push, name: "train.departures") { s in
            try s.set([.linger(milliseconds: 0)] + security)
            try s.connect(t.trajectories)
        }
    }

    /// Tells the learner that worker `id` has left, and why. Never waits (callable from any thread).
    public func left(_ id: String, reason: String) {
        _ = socket.trySend([WireMessage.goodbye(Goodbye(id: id, reason: reason)).encoded()])
    }

    public func close() async { await socket.close() }
}
