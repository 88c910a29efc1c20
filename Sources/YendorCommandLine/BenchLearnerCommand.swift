import ArgumentParser
import CBLAS
import Foundation
import Logging
import Dungeon
import YendorEnvironment
import YendorLearner
import YendorNN
import YendorPolicy
import YendorSupport

/// `yendor bench learner`: training and inference throughput of the library's default policy
/// (`PolicyNetwork.Configuration()`, larger than `train`'s default) on the built-in Dungeon's observations, and the achieved GFLOP/s next to the cblas_sgemm peak
/// measured in the same run.
///
/// A benchmark, not a test: it prints numbers and asserts nothing. Training is one
/// forward + backward + Adam step on a minibatch (what `APPOLearner` repeats per
/// minibatch); inference is `PolicyNetwork.act`. FLOPs count only matrix products
/// (2 per multiply-add; backward = 2 × forward) of the network as defined, so elementwise work
/// shows up as the gap to the sgemm peak, and the first conv's lookup (`EmbeddingConv2D`), which
/// performs far fewer multiply-adds than it is credited with, as a gain.
struct BenchLearnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learner",
        abstract: "Measure learner training and inference throughput against the sgemm peak.")

    @Option(help: "OpenBLAS thread counts to measure, comma separated.")
    var threads = "1,2"

    @Option(help: "Training minibatch sizes, comma separated.")
    var trainBatches = "1024,4096"

    @Option(help: "Inference batch sizes, comma separated.")
    var inferenceBatches = "64,256"

    @Option(help: "Seconds to spend on each measurement (after one warm-up call).")
    var seconds = 2.0

    func validate() throws {
        guard seconds.isFinite, seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600], got \(seconds)") }
    }

    mutating func run() throws {
        let threadCounts = try parseList(threads, "threads")
        let trainSizes = try parseList(trainBatches, "train-batches")
        let inferenceSizes = try parseList(inferenceBatches, "inference-batches")
        var config = PolicyNetwork.Configuration()
        config.observation = .dungeon()
        let probe = try PolicyNetwork(configuration: config)
        let macs = probe.multiplyAddsPerSample
        let env = ProcessInfo.processInfo.environment
        print("yendor bench learner — the library's default policy (PolicyNetwork.Configuration, larger than train's: yendor bench train prints that one) on the Dungeon's observations: \(probe.parameters.reduce(0) { $0 + $1.count }) parameters, \(String(format: "%.2f", Double(macs) * 2 / 1e6)) MFLOP forward per sample")
        print("OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "(unset)"), cores: \(ProcessInfo.processInfo.activeProcessorCount)")
        print("")
        print("\(pad("threads", 8)) \(pad("measure", 10)) \(lpad("batch", 7)) \(lpad("samples/s", 14)) \(lpad("GFLOP/s", 10)) \(lpad("% of peak", 10))")
        for t in threadCounts {
            BLAS.setThreadCount(t)
            let peak = sgemmPeak()
            print(row(t, "sgemm", 1024, nil, peak, nil))
            for n in trainSizes {
                let rate = try trainingRate(batch: n, config: config)
                let gflops = rate * Double(macs) * 2 * 3 / 1e9
                print(row(t, "train", n, rate, gflops, gflops / peak))
            }
            for n in trainSizes {
                // The whole APPO step: one epoch, one minibatch, so the evaluation pass over the
                // T+1 rows is also the update's forward pass; backward runs over the same rows.
                let rate = try appoRate(samples: n, config: config)
                let gflops = rate * Double(macs) * 2 * 3 * Double(33) / 32 / 1e9
                print(row(t, "appo-train", n, rate, gflops, gflops / peak))
            }
            for n in inferenceSizes {
                let rate = try inferenceRate(batch: n, config: config)
                let gflops = rate * Double(macs) * 2 / 1e9
                print(row(t, "inference", n, rate, gflops, gflops / peak))
            }
        }
    }

    private func row(_ threads: Int, _ what: String, _ batch: Int, _ rate: Double?, _ gflops: Double, _ fraction: Double?) -> String {
        let r = rate.map { String(format: "%.0f", $0) } ?? "-"
        let f = fraction.map { String(format: "%.0f%%", $0 * 100) } ?? "-"
        return "\(pad(String(threads), 8)) \(pad(what, 10)) \(lpad(String(batch), 7)) \(lpad(r, 14)) \(lpad(String(format: "%.1f", gflops), 10)) \(lpad(f, 10))"
    }

    private func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
    private func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }

    private func parseList(_ text: String, _ name: String) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ (1...(1 << 20)).contains($0 ?? 0) }) else {
            throw ValidationError("--\(name) must be a comma-separated list of integers in 1...1048576, got '\(text)'")
        }
        return values.map { $0! }
    }

    /// Runs `body` once to warm up, then repeatedly for about `seconds`; returns calls/s.
    private func callsPerSecond(_ body: () throws -> Void) rethrows -> Double {
        try body()
        let start = DispatchTime.now().uptimeNanoseconds
        var calls = 0
        var elapsed = 0.0
        repeat {
            try body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return Double(calls) / elapsed
    }

    /// GFLOP/s of a square 1024 sgemm.
    private func sgemmPeak() -> Double {
        let n = 1024
        var rng = SplitMix64(seed: 1)
        let a = (0..<(n * n)).map { _ in rng.nextUnitFloat() }
        let b = (0..<(n * n)).map { _ in rng.nextUnitFloat() }
        var c = [Float](repeating: 0, count: n * n)
        let rate = callsPerSecond {
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        BLAS.gemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return rate * 2 * Double(n * n * n) / 1e9
    }

    /// Observations from the built-in Dungeon played with random actions, 64 games a step, one row
    /// per game and step: glyph crops as training sees them. `EmbeddingConv2D`'s cost grows with
    /// the distinct glyphs of a batch; ids drawn uniformly over the vocabulary put far more of them
    /// in a small batch than played crops do (about 940 of 1,024 in 32 crops, against a few dozen).
    private func playedObservations(_ count: Int, _ spec: ObservationSpec) throws -> ObservationBatch {
        let games = 64
        let env = try VectorEnv(task: "staircase", count: games, seed: 3, configuration: .init(spec: spec, writeFullMap: false))
        var rng = SplitMix64(seed: 3)
        var obs = ObservationBatch(count: count, spec: spec)
        var row = 0
        while row < count {
            try env.step(actions: (0..<games).map { _ in Int32(rng.next() % UInt64(spec.actionCount)) })
            for g in 0..<min(games, count - row) {
                for i in 0..<spec.cropPerEnv { obs.crop[row * spec.cropPerEnv + i] = env.crop[g * spec.cropPerEnv + i] }
                for i in 0..<spec.blstatsCount { obs.blstats[row * spec.blstatsCount + i] = env.blstats[g * spec.blstatsCount + i] }
                for i in 0..<spec.captionBytes { obs.captionBytes[row * spec.captionBytes + i] = env.captions[g * spec.captionBytes + i] }
                obs.captionLengths[row] = env.captionLength[g]
                row += 1
            }
        }
        return obs
    }

    /// Samples/s of forward + backward + Adam on one minibatch.
    private func trainingRate(batch: Int, config: PolicyNetwork.Configuration) throws -> Double {
        let policy = try PolicyNetwork(configuration: config)
        let adam = Adam(parameters: policy.parameters)
        let obs = try playedObservations(batch, config.observation)
        var rng = SplitMix64(seed: 4)
        let gradLogits = Tensor(shape: [batch, config.actionCount], data: (0..<(batch * config.actionCount)).map { _ in (rng.nextUnitFloat() - 0.5) * 1e-3 })
        let gradValues = Tensor(shape: [batch], data: (0..<batch).map { _ in (rng.nextUnitFloat() - 0.5) * 1e-3 })
        return try callsPerSecond {
            policy.zeroGradients()
            _ = try policy.forward(obs)
            policy.backward(gradLogits: gradLogits, gradValues: gradValues)
            adam.update(learningRate: 1e-5)
        } * Double(batch)
    }

    /// Samples/s of `APPOLearner.train(on:)` on a T=32 × B=samples/32 batch, one minibatch.
    private func appoRate(samples: Int, config: PolicyNetwork.Configuration) throws -> Double {
        var learnerConfig = APPOLearner.Configuration()
        learnerConfig.policy = config
        learnerConfig.minibatchSize = samples
        learnerConfig.maxPolicyLag = .max
        learnerConfig.blasThreads = BLAS.threadCount
        let learner = try APPOLearner(configuration: learnerConfig, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let envs = max(samples / 32, 1)
        var batch = RolloutBatch(timeSteps: 32, envCount: envs, spec: config.observation)
        batch.observations = try playedObservations((32 + 1) * envs, config.observation)
        var rng = SplitMix64(seed: 6)
        for i in 0..<batch.sampleCount {
            batch.actions[i] = Int32(rng.next() % UInt64(config.actionCount))
            batch.behaviourLogProbs[i] = -logf(Float(config.actionCount))
            batch.extrinsicRewards[i] = rng.nextUnitFloat()
            batch.dones[i] = i % 97 == 0 ? 1 : 0
        }
        return try callsPerSecond { _ = try learner.train(on: batch) } * Double(batch.sampleCount)
    }

    /// Samples/s of `PolicyNetwork.act`.
    private func inferenceRate(batch: Int, config: PolicyNetwork.Configuration) throws -> Double {
        let policy = try PolicyNetwork(configuration: config)
        let obs = try playedObservations(batch, config.observation)
        var output = PolicyOutput()
        var rng = SplitMix64(seed: 5)
        return try callsPerSecond { try policy.act(obs, into: &output, using: &rng) } * Double(batch)
    }
}

