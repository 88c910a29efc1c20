import Foundation
import Logging
import Testing
@testable import YendorRuntime
import YendorTestSupport
import YendorTransport
import YendorWire
import ZeroMQ

/// The learner's socket link keeps a trajectory as the checked frame it arrived in, decodes every
/// other kind, and hands back what does not decode as `.malformed` (counted by the role).
@Suite struct ZeroMQLearnerLinkTests {
    static func trajectory() -> TrajectoryBatch {
        TrajectoryBatch(
            workerID: "w-7", task: "staircase", policyVersion: 3, steps: 2, envs: 1,
            observations: [NamedArray(name: "crop", shape: [3, 1, 2, 2], values: (0..<12).map { Int16($0) })],
            actions: [1, 2], behaviourLogProbs: [-0.5, -1], values: [0, 1], rewards: [0, 1], dones: [0, 1], truncated: [0, 0],
            envIDs: [0], policyVersions: [2, 3], captions: ["", "You find a key."], captionIndex: [0, 1], captionCount: [1, 1],
            episodes: [EpisodeSummary(env: 0, episodeReturn: 1, length: 2, success: true)])
    }

    @Test func aTrajectoryArrivesAsItsCheckedFrameAndOtherKindsDecode() async throws {
        var t = TransportConfiguration()
        t.trajectories = ChildProcess.ipcEndpoint("link-trajectories")
        t.weights = ChildProcess.ipcEndpoint("link-weights")
        let context = try Context()
        defer { context.terminate() }
        let link = try await ZeroMQLearnerLink.bind(t, context: context, logger: Logger(label: "test"))
        let endpoint = t.trajectories
        let push = try await AsyncSocket(context: context, type: .push, name: "test.push") { s in
            try s.set([.linger(milliseconds: 0)])
            try s.connect(endpoint)
        }
        let batch = Self.trajectory()
        var corrupt = batch.encoded()
        corrupt[corrupt.count - 1] ^= 0x40  // the payload no longer matches the envelope's CRC
        try await push.send(batch.encoded())
        try await push.send(Heartbeat(id: "w-7", sequence: 1, timeNanos: 0, policyVersion: 3).encoded())
        try await push.send(corrupt)

        guard case .trajectory(.frame(let frame))? = await link.receive() else {
            Issue.record("expected a trajectory kept as its frame")
            return
        }
        #expect(frame.workerID == "w-7" && frame.policyVersion == 3 && frame.steps == 2 && frame.envs == 1)
        #expect(frame.episodes == batch.episodes)
        #expect(try frame.withView { TrajectoryBatch(copying: $0) }.encoded() == batch.encoded())
        guard case .message(.heartbeat(let beat))? = await link.receive() else {
            Issue.record("expected the heartbeat, decoded")
            return
        }
        #expect(beat.id == "w-7")
        guard case .malformed(let error)? = await link.receive() else {
            Issue.record("expected the corrupted trajectory as malformed")
            return
        }
        #expect(error.kindName == "checksum", "\(error)")
        await push.close()
        await link.close(reason: "test over")
    }
}
