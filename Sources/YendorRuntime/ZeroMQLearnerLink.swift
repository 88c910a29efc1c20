import Foundation
import Logging
import YendorTransport
import YendorWire
import ZeroMQ

// A trajectory is kept in the ZeroMQ message it arrived in (`TrajectoryFrame`).
extension Message: FrameBytes {}

/// The learner's link across processes: trajectories and control messages arrive on a PULL socket
/// bound at `transport.trajectories`; weights, heartbeats, stats and Goodbyes leave on a PUB socket
/// bound at `transport.weights` (which `yendor status` also reads). CURVE, when configured, guards both.
final class ZeroMQLearnerLink: LearnerLink {
    private let pull: AsyncSocket, pub: AsyncSocket
    private let authenticator: CurveAuthenticator?
    private let limits: WireLimits

    private init(pull: AsyncSocket, pub: AsyncSocket, authenticator: CurveAuthenticator?, limits: WireLimits) {
        self.pull = pull
        self.pub = pub
        self.authenticator = authenticator
        self.limits = limits
    }

    /// Binds both sockets; errors (an endpoint in use, bad CURVE keys) name the endpoint or field.
    static func bind(_ t: TransportConfiguration, context: Context, logger: Logger) async throws -> ZeroMQLearnerLink {
        let security = try t.serverSecurity()
        let authenticator = try t.startAuthenticator(context: context, logger: logger)
        do {
            let pull = try await AsyncSocket(context: context, type: .pull, name: "learner.trajectories",
                                             inboxCapacity: t.queueCapacity) { s in
                try s.set([.receiveHighWaterMark(t.trajectoryReceiveHighWaterMark), .maxMessageSize(t.maxMessageMiB << 20), .linger(milliseconds: 0)]
                          + t.trajectoryReceiveOptions + security)
                try s.bind(t.trajectories, setting: "transport.trajectories")
            }
            let pub = try await AsyncSocket(context: context, type: .pub, name: "learner.weights") { s in
                try s.set([.sendHighWaterMark(TransportConfiguration.publishHighWaterMark), .linger(milliseconds: 500)] + security)
                try s.bind(t.weights, setting: "transport.weights")
            }
            logger.info("learner listening", metadata: ["trajectories": "\(t.trajectories)", "weights": "\(t.weights)",
                                                        "curve": "\(t.curveMode)"])
            if t.curveEnabled && authenticator == nil { logger.warning("\(TransportConfiguration.allowAnyWarning)") }
            return ZeroMQLearnerLink(pull: pull, pub: pub, authenticator: authenticator,
                                     limits: WireLimits(maxMessageBytes: t.maxMessageMiB << 20))
        } catch {
            await authenticator?.close()
            throw error
        }
    }

    func receive() async -> Received? { await pull.receiveMessage(limits: limits) }

    var queuedMessages: Int { pull.inboxDepth }

    func publish(_ message: WireMessage) async {
        // An acknowledgement goes behind its topic, to its addressee alone (`Goodbye.acknowledgementTopic`).
        if case .goodbye(let g) = message, g.isAcknowledgement {
            try? await pub.send([Goodbye.acknowledgementTopic(g.id), message.encoded()])
        } else {
            try? await pub.send(message.encoded())
        }
    }

    func close(reason: String) async {
        // `*` addresses every worker: they stop (finished) or wait for a learner to return (shutdown).
        await publish(.goodbye(Goodbye(id: "*", reason: reason)))
        try? await Task.sleep(for: .milliseconds(100))
        await pull.close()
        await pub.close()
        await authenticator?.close()
    }
}

extension AsyncSocket {
    /// The next frame, decoded, or for a trajectory checked and kept (a frame that does not decode is
    /// returned as `.malformed`, for the role to count); nil once the socket is closed.
    func receiveMessage(limits: WireLimits) async -> Received? {
        while let parts = await receive() {
            guard let frame = parts.last else { continue }
            do {
                // A trajectory is kept as the frame it came in, checked here and read in place later.
                if frame.withUnsafeBytes({ Envelope.claimedKind(of: $0) }) == .trajectoryBatch {
                    return .trajectory(.frame(try TrajectoryFrame(checking: frame, limits: limits)))
                }
                return .message(try frame.withUnsafeBytes { try WireMessage.decode($0, limits: limits) })
            } catch let error as WireError {
                return .malformed(error)
            } catch {
                // The decoders throw only WireErrors; anything else is still a frame that did not decode, and counted.
                return .malformed(.invalidValue(field: "frame", detail: "\(error)"))
            }
        }
        return nil
    }
}
