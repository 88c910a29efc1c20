import Foundation
import Logging
import Synchronization
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

    /// A learner's link bound on ipc endpoints of its own, in a fresh context the caller terminates.
    static func boundLink(_ name: String) async throws -> (TransportConfiguration, Context, ZeroMQLearnerLink) {
        var t = TransportConfiguration()
        t.trajectories = ChildProcess.ipcEndpoint("\(name)-trajectories")
        t.weights = ChildProcess.ipcEndpoint("\(name)-weights")
        let context = try Context()
        return (t, context, try await ZeroMQLearnerLink.bind(t, context: context, logger: Logger(label: "test")))
    }

    @Test func aTrajectoryArrivesAsItsCheckedFrameAndOtherKindsDecode() async throws {
        let (t, context, link) = try await Self.boundLink("link")
        defer { context.terminate() }
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

    /// The learner's answer to each worker's Goodbye reaches that worker alone. Every worker got
    /// every answer before, and with 32 workers stopping together the learner's mark of 2 messages
    /// per subscriber dropped a third of them (trial S: those workers waited 3 s for theirs).
    @Test func eachAcknowledgementReachesItsAddresseeAlone() async throws {
        let (t, context, learner) = try await Self.boundLink("ack")
        defer { context.terminate() }
        let addressees = (0..<16).map { "w-\($0)#\(WorkerService.newInstance())" }
        var workers: [ZeroMQWorkerLink] = []
        for addressee in addressees {
            workers.append(try await ZeroMQWorkerLink.connect(t, trajectories: t.trajectories, weights: t.weights, addressee: addressee, context: context))
        }
        func beat(_ sequence: UInt64) -> WireMessage { .heartbeat(Heartbeat(id: "learner", sequence: sequence, timeNanos: 0, policyVersion: 0)) }
        // Heartbeats until every worker has heard one: its subscriptions have reached the learner.
        final class Ready: Sendable { let count = Mutex(0) }
        let ready = Ready()
        let listening = Task { [workers] in
            await withTaskGroup(of: Void.self) { group in
                for worker in workers {
                    group.addTask {
                        while let received = await worker.receive() {
                            if case .message(.heartbeat) = received { break }
                        }
                        ready.count.withLock { $0 += 1 }
                    }
                }
            }
        }
        var sequence: UInt64 = 0
        while ready.count.withLock({ $0 }) < workers.count {
            await learner.publish(beat(sequence))
            sequence += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        await listening.value
        // Every answer at once, then a last heartbeat that each worker reads up to (a hang guard
        // closes the workers, ending their reads, if one never comes).
        for addressee in addressees { await learner.publish(.goodbye(.init(id: addressee, reason: Goodbye.acknowledgement))) }
        let last = sequence + 1_000
        await learner.publish(beat(last))
        let hangGuard = Task { [workers] in
            try await Task.sleep(for: .seconds(600))
            for worker in workers { _ = await worker.close(sayingGoodbye: nil, flushingWithin: .zero, acknowledgedAs: nil) }
        }
        for (worker, addressee) in zip(workers, addressees) {
            var answers: [String] = []
            while let received = await worker.receive() {
                if case .message(.goodbye(let g)) = received, g.isAcknowledgement { answers.append(g.id) }
                if case .message(.heartbeat(let h)) = received, h.sequence == last { break }
            }
            #expect(answers == [addressee])
        }
        hangGuard.cancel()
        for worker in workers { _ = await worker.close(sayingGoodbye: nil, flushingWithin: .zero, acknowledgedAs: nil) }
        await learner.close(reason: "test over")
    }
}
