import Foundation
import Testing
import YendorTestSupport
import YendorPolicy
import YendorTransport
import YendorWire
import ZeroMQ
@testable import YendorRuntime

/// What reaches a worker from the weights endpoint is a peer's input: weights that do not load and
/// frames that do not decode are dropped and counted, and the worker acts on with what it has.
/// (Before, one PolicyUpdate with a NaN failed every pending forward pass and stopped the worker,
/// and malformed frames were skipped without a trace.)
@Suite("Worker weights intake")
struct WorkerWeightsIntakeTests {
    @Test func weightsThatDoNotLoadAreDroppedAndCountedAndTheWorkerActsOnWithItsOwn() async throws {
        let (c, learner, worker, running) = try InMemoryRoleTests.runningWorker()
        defer { running.cancel() }
        let tensors = try InMemoryRoleTests.wireTensors(c)
        func weights(_ version: UInt64, _ tensors: [NamedArray]) -> WireMessage { InMemoryRoleTests.weights(c, version, tensors) }
        func actedBy(_ version: UInt64) async -> Bool { await InMemoryRoleTests.trajectory(actedBy: version, learner.receive) }
        _ = await InMemoryRoleTests.next(learner.receive) { if case .hello(let h) = $0 { h } else { nil } }
        await learner.publish(weights(7, tensors))
        #expect(await actedBy(7))

        var poisoned = tensors
        poisoned[0] = NamedArray(name: tensors[0].name, shape: tensors[0].shape,
                                 values: [Float](repeating: .nan, count: tensors[0].shape.reduce(1, *)))
        await learner.publish(weights(9, poisoned))
        await learner.publish(weights(10, Array(tensors.dropLast())))
        #expect(await Poll.until { worker.metrics["transport/frames_dropped/bad_weights"] == 2 })
        #expect(await actedBy(7), "the worker acts on with the weights it has")
        await learner.publish(weights(11, tensors))
        #expect(await actedBy(11), "and takes the next good weights")
        await InMemoryRoleTests.stop(running)
    }

    /// A frame that begins with the envelope's magic but does not decode (here its checksum) is
    /// dropped and counted by kind. One that does not begin with it never reaches the worker: its
    /// subscription is to the magic (and its own Goodbye's answer), filtered out at the publisher.
    @Test func aMalformedFrameOnTheWeightsEndpointIsDroppedAndCountedByKind() async throws {
        let c = try InMemoryRoleTests.configuration()
        let context = try Context()
        let trajectories = "ipc://\(Scratch.path)yendor-intake-t-\(UUID().uuidString.prefix(8))"
        let weights = "ipc://\(Scratch.path)yendor-intake-w-\(UUID().uuidString.prefix(8))"
        let pull = try await AsyncSocket(context: context, type: .pull, name: "test.pull") { s in
            try s.set(.linger(milliseconds: 0))
            try s.bind(trajectories)
        }
        let pub = try await AsyncSocket(context: context, type: .pub, name: "test.pub") { s in
            try s.set(.linger(milliseconds: 0))
            try s.bind(weights)
        }
        let worker = WorkerService(configuration: c, workerID: "w", trajectories: trajectories, weights: weights,
                                   context: context, logger: InMemoryRoleTests.quiet)
        let running = Task { try await worker.run() }
        defer {
            running.cancel()
            Task { await pull.close(); await pub.close() }
        }
        // A PUB drops what it sends before the subscriber has joined: send until one is counted.
        var corrupt = Heartbeat(id: "learner", sequence: 1, timeNanos: 0, policyVersion: 0).encoded()
        corrupt[corrupt.count - 1] ^= 0x40  // the payload no longer matches the envelope's CRC
        let counted = await Poll.until { [corrupt] in
            try? await pub.send(corrupt)
            return worker.metrics["transport/frames_dropped/decode_checksum"] >= 1
        }
        #expect(counted)
        #expect(worker.metrics["transport/frames_dropped/decode_checksum"] >= 1)
        await InMemoryRoleTests.stop(running)
    }
}
