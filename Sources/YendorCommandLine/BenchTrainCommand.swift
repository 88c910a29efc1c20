import ArgumentParser
import Dungeon
import YendorEnvironment
import Foundation
import YendorLearner
import YendorNN
import YendorPolicy
import YendorRuntime
import YendorSupport

/// End-to-end training throughput for the in-process and multi-process topologies, next to the bare
/// env loop and the bare inference loop measured in the same run, so the framework's overhead shows
/// as a ratio; the in-process run once with the in-memory link and once over inproc:// sockets, so
/// what the transport seam saves shows as a ratio too. The network's FLOPs per sample are printed.
struct BenchTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "End-to-end env steps/s vs the bare env loop and the bare inference loop.")

    @OptionGroup var options: RunOptions

    @Option(help: "Env steps per end-to-end run.")
    var benchSteps: UInt64 = 600_000

    @Option(help: "Worker processes for the multi-process row.")
    var workers: Int = 2

    /// The training options it takes are passed to each run; these two would be ignored: refused.
    func validate() throws {
        if options.steps != nil { throw ValidationError("--steps: bench train runs each training for --bench-steps env steps") }
        if options.runDir != nil { throw ValidationError("--run-dir: bench train runs each training in a temporary directory, removed after it") }
        // Said before the bare loops run, not by the first training run after them (trial C7).
        if benchSteps < 1 { throw ValidationError("--bench-steps must be at least 1, got \(benchSteps)") }
        guard (1...TrainCommand.mostWorkerProcesses).contains(workers) else {
            throw ValidationError("--workers must be in 1...\(TrainCommand.mostWorkerProcesses) (worker processes on this machine), got \(workers)")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let c = try options.resolve(defaultRunDir: "runs/bench")
            let policy = try PolicyNetwork(configuration: c.resolvedLearner.policy)
            let flops = 2 * policy.multiplyAddsPerSample
            print("task \(c.env.task); network \(policy.parameters.reduce(0) { $0 + $1.count }) parameters, "
                  + String(format: "%.2f MFLOP per sample forward (~%.2f forward+backward)", Double(flops) / 1e6, 3 * Double(flops) / 1e6))
            let envs = c.env.actors * c.env.envsPerActor
            let bareEnv = try bareEnvLoop(c, envs: envs)
            let bareInference = try bareInferenceLoop(c, policy: policy)
            print(String(format: "bare env loop (%d envs, random actions, 1 core): %.0f steps/s", envs, bareEnv))
            print(String(format: "bare inference loop (batch %d, 1 core):          %.0f samples/s", c.env.envsPerActor, bareInference))
            let inProcess = try runTraining(extra: ["--set", "transport.in_process=zeromq"])
            print(String(format: "end-to-end in-process (learner + %d actors):       %.0f env steps/s  = %.3g of bare env, %.3g of bare inference",
                         c.env.actors, inProcess, inProcess / bareEnv, inProcess / bareInference))
            // The same run with the learner and worker linked by the in-memory network (values
            // through bounded queues) instead of inproc:// sockets (encode, CRC32C, decode and a
            // thread per socket, as between processes).
            let inMemory = try runTraining(extra: ["--set", "transport.in_process=memory"])
            print(String(format: "  the same with the in-memory link:                %.0f env steps/s  in-memory link / sockets = %.2fx",
                         inMemory, inMemory / inProcess))
            let multi = try runTraining(extra: ["--workers", "\(workers)"])
            print(String(format: "end-to-end %d worker processes over ipc:             %.0f env steps/s  = %.3g of bare env, %.3g of bare inference",
                         workers, multi, multi / bareEnv, multi / bareInference))
            print("for a comparison with Sample Factory on the same NLE task, measured in one run: scripts/bench-vs-sample-factory.sh")
        }
    }

    private func bareEnvLoop(_ c: TrainingConfiguration, envs: Int) throws -> Double {
        let env = try c.environment.make(count: envs, seed: 1)
        var rng = SplitMix64(seed: 3)
        var actions = [Int32](repeating: 0, count: envs)
        let start = ContinuousClock.now
        var steps = 0
        while ContinuousClock.now - start < .seconds(3) {
            for i in 0..<envs { actions[i] = Int32(rng.below(env.spec.actionCount)) }
            try env.step(actions: actions)
            steps += envs
        }
        return Double(steps) / (ContinuousClock.now - start).seconds
    }

    private func bareInferenceLoop(_ c: TrainingConfiguration, policy: PolicyNetwork) throws -> Double {
        let env = try c.environment.make(count: c.env.envsPerActor, seed: 1)
        var batch = ObservationBatch(count: c.env.envsPerActor, spec: c.observationSpec)
        batch.crop = Array(env.crop)
        batch.blstats = Array(env.blstats)
        var output = PolicyOutput()
        var rng = SplitMix64(seed: 1)
        let start = ContinuousClock.now
        var samples = 0
        while ContinuousClock.now - start < .seconds(3) {
            try policy.act(batch, into: &output, using: &rng)
            samples += c.env.envsPerActor
        }
        return Double(samples) / (ContinuousClock.now - start).seconds
    }

    /// Runs `yendor train` in a child process and returns env steps/s over the steady part of the run
    /// (from the first metrics record with progress to the last).
    private func runTraining(extra: [String]) throws -> Double {
        // Locked while this process lives: one killed (a benchmark stopped by Ctrl-C) leaves its
        // run for the next benchmark to remove.
        let scratch = try LockedDirectory.fresh(prefix: "yendor-bench-train-", in: NSTemporaryDirectory())
        defer { withExtendedLifetime(scratch) {} }  // removed as it is released, after the run is read
        let dir = scratch.path + "/run"
        let p = Process()
        p.executableURL = Executable.current
        var args = ["train", "--steps", "\(benchSteps)", "--run-dir", dir, "--set", "run.log_interval=2", "--log-level", "warning",
                    "--parent-pid", "\(getpid())"]
        if let config = options.config { args += ["--config", config] }
        for o in options.overrides { args += ["--set", o] }
        if let t = options.task { args += ["--task", t] }
        if let e = options.env { args += ["--env", e.description] }
        if let r = options.reward { args += ["--reward", r.rawValue] }
        if let e = options.envs { args += ["--envs", "\(e)"] }
        if let a = options.actors { args += ["--actors", "\(a)"] }
        if let s = options.seed { args += ["--seed", "\(s)"] }
        for server in options.envServers { args += ["--env-server", server] }
        p.arguments = args + extra
        try p.run()
        p.waitUntilExit()
        let records = try MetricsLog.read(url: URL(fileURLWithPath: dir).appendingPathComponent("metrics.jsonl"))
            .filter { ($0["env_steps"] ?? 0) > 0 }
        guard let first = records.first, let last = records.last, let t0 = first["time"], let t1 = last["time"], t1 > t0 else {
            throw ValidationError(p.terminationStatus == 0 && !records.isEmpty
                ? "the training run of \(benchSteps) env steps ended before a second metrics record (one every 2 s): give --bench-steps more"
                : "the training run produced no metrics (exit \(p.terminationStatus))")
        }
        return (last["env_steps"]! - first["env_steps"]!) / (t1 - t0)
    }
}
