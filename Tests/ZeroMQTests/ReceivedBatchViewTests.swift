import Foundation
import Testing
import YendorTestSupport
import YendorWire
@testable import ZeroMQ

/// `TrajectoryBatchView` over frames as libzmq really delivers them (its own buffers, at whatever
/// address the receive path chose), not over Swift arrays.
@Suite("Batch views over received frames", .serialized)
struct ReceivedBatchViewTests {
    /// A batch of about `steps × envs × 60` bytes whose every column depends on `seed`.
    static func batch(steps t: Int, envs b: Int, seed: Int) -> TrajectoryBatch {
        let n = t * b
        return TrajectoryBatch(
            workerID: "w\(seed)", task: "staircase-lvl3", policyVersion: UInt64(seed), steps: t, envs: b,
            observations: [NamedArray(name: "crop", shape: [t + 1, b, 3, 3],
                                      values: (0..<(t + 1) * b * 9).map { Int16(truncatingIfNeeded: $0 &* 7 &+ seed) })],
            actions: (0..<n).map { Int32(($0 + seed) % 5) },
            behaviourLogProbs: (0..<n).map { -Float($0 % 13) / 7 },
            behaviourLogits: (0..<n * 5).map { Float($0 % 11) - Float(seed % 3) }, actionCount: 5,
            values: (0..<n).map { Float($0) / 3 }, rewards: (0..<n).map { Float(($0 + seed) % 2) },
            dones: (0..<n).map { UInt8(($0 + seed) % 7 == 0 ? 1 : 0) }, truncated: [UInt8](repeating: 0, count: n),
            envIDs: (0..<b).map(Int32.init), policyVersions: [Int32](repeating: Int32(seed), count: n),
            captions: ["", "You kill the jackal!", "ドラゴン 🐉"], captionIndex: (0..<n).map { Int32($0 % 3) },
            captionCount: (0..<n).map { Int32($0 % 4 + 1) },
            episodes: [EpisodeSummary(env: 0, episodeReturn: Float(seed), length: 10, success: seed % 2 == 0)])
    }

    @Test(arguments: ["tcp", "ipc"])
    func viewsOfReceivedFramesShowWhatWasSent(transport: String) throws {
        let context = try Context()
        defer { context.terminate() }
        let pull = try Socket(context: context, type: .pull)
        let push = try Socket(context: context, type: .push)
        defer { push.close(); pull.close() }
        try pull.set(.receiveTimeout(milliseconds: 20_000))
        if transport == "tcp" {
            try pull.bind("tcp://127.0.0.1:*")
        } else {
            try pull.bind(ChildProcess.ipcEndpoint("views"))
        }
        try push.connect(pull.lastEndpoint)
        // Small, 64 KiB-ish and 1 MiB-ish frames: libzmq receives them through different buffers.
        let sent = [(2, 3), (40, 27), (64, 270), (1, 1), (64, 275)].enumerated().map { i, shape in
            Self.batch(steps: shape.0, envs: shape.1, seed: i)
        }
        var frame: [UInt8] = []
        for batch in sent {
            batch.encode(into: &frame)
            try push.send(frame)
        }
        for batch in sent {
            let message = try #require(try pull.receiveFrame())
            let viewed = try message.withUnsafeBytes { raw in
                try TrajectoryBatchView.withView(of: raw) { view in
                    #expect(Array(view.rewards) == batch.rewards)
                    #expect(Array(view.behaviourLogits) == batch.behaviourLogits)
                    #expect(view.observation("crop")?.elements(as: Int16.self).map(Array.init) == batch.observations[0].values(as: Int16.self))
                    #expect(view.captionIndex.map { view.captions[Int($0)] } == batch.captionIndex.map { batch.captions[Int($0)] })
                    return TrajectoryBatch(copying: view)
                }
            }
            #expect(viewed == batch)
            #expect(try message.withUnsafeBytes { try TrajectoryBatch.decode($0) } == batch)
        }
    }

    @Test func viewsOfFramesFromAnotherProcessAgreeWithTheCopyingDecoder() async throws {
        let context = try Context()
        defer { context.terminate() }
        let pull = try Socket.pullOnLoopback(context, receiveTimeout: 120_000)
        defer { pull.close() }
        let count = 40
        let peer = try ChildProcess(yendor: ["_peer", "push", "--batch", "--endpoint", pull.lastEndpoint,
                                             "--size", "70000", "--count", "\(count)"],
                                    environment: ["SWIFT_BACKTRACE": "enable=no"])
        // Blocking receives run on a thread of their own, never on the cooperative pool.
        let results = try await offPool { () -> [(UInt64, Bool)] in
            try (0..<count).map { _ in
                guard let message = try pull.receiveFrame() else { return (UInt64.max, false) }
                let (version, copy) = try message.withUnsafeBytes { raw in
                    try TrajectoryBatchView.withView(of: raw) { ($0.policyVersion, TrajectoryBatch(copying: $0)) }
                }
                return (version, try message.withUnsafeBytes { try TrajectoryBatch.decode($0) } == copy)
            }
        }
        // The peer stamps message i with policy version i.
        let versions = results.map { $0.0 }, expected = (0..<UInt64(count)).map { $0 }
        #expect(versions == expected, "peer: \(peer.standardError)")
        let agree = results.allSatisfy { $0.1 }
        #expect(agree, "the view and the copying decoder agree")
        #expect(await peer.waitForExit(timeout: 600) == 0)
    }
}
