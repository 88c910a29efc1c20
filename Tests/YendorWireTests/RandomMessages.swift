@testable import YendorWire
import YendorSupport

/// Random wire messages for property-based tests, drawn from a seeded `SplitMix64`.
struct TestRNG {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 24) * 20 - 10 }

    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }

    static let pieces = ["You kill the jackal!", "12 gold pieces.", "", "That door is closed.", "Ça va? 🐉",
                         "You hear bubbling water.", "日本語のメッセージ", "The newt bites!  You die..."]

    mutating func caption() -> String {
        var s = TestRNG.pieces[int(0...TestRNG.pieces.count - 1)]
        if int(0...3) == 0 { s += " \(int(0...999))" }
        return s
    }

    mutating func batch(steps: Int? = nil, envs: Int? = nil, logits: Bool? = nil) -> TrajectoryBatch {
        let t = steps ?? int(0...12), b = envs ?? int(0...6)
        let n = t * b
        let captionTable = [""] + (0..<int(0...5)).map { _ in caption() }
        let a = 5
        let withLogits = logits ?? (int(0...1) == 1)
        return TrajectoryBatch(
            workerID: "worker-\(int(0...99))", task: "staircase-lvl3", policyVersion: next() % 1000,
            steps: t, envs: b,
            observations: [
                NamedArray(name: "crop", shape: [t + 1, b, 3, 3], values: (0..<(t + 1) * b * 9).map { _ in Int16(truncatingIfNeeded: next()) }),
                NamedArray(name: "blstats", shape: [t + 1, b, 4], values: (0..<(t + 1) * b * 4).map { _ in Int32(truncatingIfNeeded: next()) }),
                NamedArray(name: "pixels", shape: [t + 1, b, 2], values: bytes((t + 1) * b * 2)),
                NamedArray(name: "features", shape: [t + 1, b], values: (0..<(t + 1) * b).map { _ in float() }),
            ],
            actions: (0..<n).map { _ in Int32(int(0...a - 1)) },
            behaviourLogProbs: (0..<n).map { _ in -abs(float()) },
            behaviourLogits: withLogits ? (0..<n * a).map { _ in float() } : [],
            actionCount: withLogits ? a : 0,
            values: (0..<n).map { _ in float() },
            rewards: (0..<n).map { _ in float() },
            dones: (0..<n).map { _ in UInt8(int(0...1)) },
            truncated: (0..<n).map { _ in UInt8(int(0...1)) },
            envIDs: (0..<b).map { Int32($0) },
            policyVersions: (0..<n).map { _ in Int32(int(0...50)) },
            captions: captionTable,
            captionIndex: (0..<n).map { _ in Int32(int(0...captionTable.count - 1)) },
            captionCount: (0..<n).map { _ in Int32(int(1...9)) },
            episodes: (0..<int(0...3)).map { _ in
                EpisodeSummary(env: Int32(int(0...5)), episodeReturn: float(), length: Int32(int(1...500)), success: int(0...1) == 1)
            })
    }

    mutating func everyMessage() -> [WireMessage] {
        [
            .hello(Hello(role: "worker", id: "w-\(int(0...9))", capabilities: [("obs_layout", "crop9;blstats16"), ("envs", "64")])),
            .heartbeat(Heartbeat(id: "w-1", sequence: next(), timeNanos: next(), policyVersion: next())),
            .goodbye(Goodbye(id: "w-2", reason: "shutdown")),
            .stats(Stats(id: "learner", role: "learner", timeNanos: next(),
                         values: [("learner/loss/policy", Double(float())), ("rollout/sps", 1e6)])),
            .trajectoryBatch(batch()),
            .policyUpdate(PolicyUpdate(version: next(), modelSignature: "mlp-256",
                                       tensors: [NamedArray(name: "core.weight", shape: [3, 4], values: (0..<12).map { _ in float() }),
                                                 NamedArray(name: "core.bias", shape: [4], values: (0..<4).map { _ in float() }),
                                                 NamedArray(name: "head.weight", shape: [2], values: (0..<2).map { _ in Float16(float()) })])),
            .annotationRequest(AnnotationRequest(requestID: next(), goal: "score", mode: .classification,
                                                 items: (0..<int(0...4)).map { _ in .classify(caption: caption()) })),
            .annotationRequest(AnnotationRequest(requestID: next(), goal: "reach the stairs", mode: .ranking,
                                                 items: (0..<int(0...4)).map { _ in .rank(first: caption(), second: caption()) })),
            .annotationResult(AnnotationResult(requestID: next(), goal: "score", mode: .classification, labeler: "lexicon/-/cls-v1",
                                               entries: [.init(item: .classify(caption: "You kill the newt!"), outcome: .label(.helpful)),
                                                         .init(item: .classify(caption: "It's a wall."), outcome: .pending),
                                                         .init(item: .classify(caption: "??"), outcome: .error(.unparsable, "no label in answer"))])),
            .annotationResult(AnnotationResult(requestID: 0, goal: "gold", mode: .ranking, labeler: "x",
                                               entries: [.init(item: .rank(first: "a", second: "b"), outcome: .label(.tie))])),
            .envOpen(EnvOpen(sequence: next(), seed: next())),
            .envOpen(EnvOpen(sequence: next(), seed: next(), split: 2, splits: 3)),
            .envSpec(EnvSpecMessage(sequence: next(), environment: "gym:MiniGrid-DoorKey-8x8-v0", task: "DoorKey", numEnvs: 2,
                                    sizes: [7, 7, 7, 198, 1, 64, 7],
                                    observations: [NamedArray(name: "glyphs", shape: [2, 7, 7], values: (0..<98).map { Int16($0) })])),
            .envStep(EnvStep(sequence: next(), actions: [Int32(int(0...6)), Int32(int(0...6))])),
            .envStepResult(EnvStepResult(sequence: next(), arrays: [NamedArray(name: "reward", shape: [2], values: [float(), float()])],
                                         episodes: [EnvEpisode(env: 1, episodeReturn: float(), length: 40, success: true, truncated: false,
                                                               lastCaption: caption(), error: "")])),
            .envClose(EnvClose(sequence: next())),
            .envError(EnvError(sequence: next(), message: "action 9 is outside 0..<7")),
            .envDescribe(EnvDescribe(sequence: next())),
        ]
    }
}

/// An encoded `TrajectoryBatch` (4 steps, 3 envs, with logits) for corruption tests.
func sampleBatchBytes() -> [UInt8] {
    var rng = TestRNG(seed: 21)
    return rng.batch(steps: 4, envs: 3, logits: true).encoded()
}

/// Rewrites the CRC so a deliberate payload change reaches the payload decoder.
func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    let crc = CRC32C.checksum(Array(b[Envelope.headerSize...]))
    b.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: 12, as: UInt32.self) }
    return b
}
