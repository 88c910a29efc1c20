import Foundation
import Testing
import YendorTestSupport
@testable import YendorWire
@testable import ZeroMQ

/// The wire protocol spoken by a foreign client: `scripts/yendor_wire.py` (pyzmq + numpy) decodes
/// batches that Swift encoded and sends back heartbeats that Swift decodes.
@Suite("Python client")
struct PythonClientTests {
    @Test func pythonDecodesSwiftBatchesAndSwiftDecodesPythonHeartbeats() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/yendor_wire.py").standardized
        let port = ChildProcess.freePort()
        let context = try Context()
        defer { context.terminate() }
        let replies = try Socket.pullOnLoopback(context, receiveTimeout: 20_000)
        defer { replies.close() }
        let python = try ChildProcess(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: [
            "python3", script.path, "pull", "--endpoint", "tcp://127.0.0.1:\(port)", "--count", "3",
            "--reply", replies.lastEndpoint])
        let ready = await python.waitForLine { $0 == "ready" }
        try #require(ready != nil, "python client did not start: \(python.standardError)")

        let push = try Socket(context: context, type: .push)
        defer { push.close() }
        try push.connect("tcp://127.0.0.1:\(port)")
        var batches: [TrajectoryBatch] = []
        for seed in 0..<3 {
            var rng = TestBatchRNG(seed: UInt64(seed))
            let batch = rng.batch(steps: 4 + seed, envs: 3)
            batches.append(batch)
            try push.send(batch.encoded())
        }
        for (i, batch) in batches.enumerated() {
            let frame = try #require(try replies.receive())
            let heartbeat = try frame[0].withUnsafeBytes { try Heartbeat.decode($0) }
            #expect(heartbeat == Heartbeat(id: "python-client", sequence: UInt64(i), timeNanos: 0, policyVersion: batch.policyVersion))
        }
        #expect(await python.waitForExit(timeout: 600) == 0, "python: \(python.standardError)")
        let summaries = python.lines.filter { $0.hasPrefix("{") }.map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        try #require(summaries.count == 3)
        for (summary, batch) in zip(summaries, batches) {
            #expect(summary["kind"] as? String == "TrajectoryBatch")
            #expect(summary["steps"] as? Int == batch.steps)
            #expect(summary["envs"] as? Int == batch.envs)
            #expect(summary["actions_sum"] as? Int == batch.actions.reduce(0) { $0 + Int($1) })
            let crop = batch.observation("crop")!
            #expect(summary["crop_shape"] as? [Int] == crop.shape)
            #expect(summary["crop_sum"] as? Int == crop.values(as: Int16.self)!.reduce(0) { $0 + Int($1) })
            #expect(summary["first_caption"] as? String == batch.caption(step: 0, env: 0))
            #expect(summary["episodes"] as? Int == batch.episodes.count)
            let rewards = batch.rewards.reduce(0.0) { $0 + Double($1) }
            #expect(abs((summary["rewards_sum"] as? Double ?? .nan) - rewards) < 1e-3)
        }
    }
}

/// Deterministic batches with a `crop` observation (the Python client summarises it).
struct TestBatchRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 1 }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 17
    }

    mutating func batch(steps t: Int, envs b: Int) -> TrajectoryBatch {
        let n = t * b
        let captions = ["", "You kill the jackal!", "Ça va? 🐉 12 gold pieces."]
        return TrajectoryBatch(
            workerID: "swift", task: "keyroom", policyVersion: next() % 100, steps: t, envs: b,
            observations: [NamedArray(name: "crop", shape: [t + 1, b, 9, 9], values: (0..<(t + 1) * b * 81).map { _ in Int16(next() % 700) })],
            actions: (0..<n).map { _ in Int32(next() % 20) }, behaviourLogProbs: (0..<n).map { _ in -Float(next() % 100) / 10 },
            values: (0..<n).map { _ in Float(next() % 100) / 100 }, rewards: (0..<n).map { _ in Float(next() % 3) - 1 },
            dones: (0..<n).map { _ in UInt8(next() % 2) }, truncated: [UInt8](repeating: 0, count: n),
            envIDs: (0..<b).map(Int32.init), policyVersions: [Int32](repeating: 3, count: n), captions: captions,
            captionIndex: (0..<n).map { _ in Int32(next() % 3) }, captionCount: [Int32](repeating: 1, count: n),
            episodes: [EpisodeSummary(env: 1, episodeReturn: 2.5, length: 40, success: true)])
    }
}
