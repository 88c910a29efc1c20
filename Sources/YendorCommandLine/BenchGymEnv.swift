import Foundation
import Logging
import Synchronization
import RemoteEnvironment
import YendorEnvironment
import ZeroMQ
import YendorSupport

/// `yendor bench env --env gym:ID`: N Gymnasium envs stepped in a plain Python loop against the same
/// envs in one `yendor-env serve` process stepped by Yendor's `RemoteVectorEnv` (what a worker
/// does), alternating rounds in one run; prints both and the ratio (goal: the served path loses at
/// most 15% per Python process). The server is stepped twice per round: whole, by one env (a
/// worker with `env.server_splits=1`), and in two slices by two envs on two threads (the default:
/// two rollout actors, so the server steps one slice while the other's reply is decoded).
struct GymEnvBench {
    let envID: String
    let envs: Int
    let steps: Int
    let rounds: Int
    let seed: UInt64

    func run() throws {
        let executable = try EnvServerProcesses.locate()
        let python = executable.deletingLastPathComponent().appendingPathComponent("python")
        let script = try NetHackEnvBench.script("bench_gym_plain.py")
        // Locked while this process lives: one killed leaves its sockets for the next benchmark to remove.
        let scratch = try LockedDirectory.fresh(prefix: "yendor-bench-gym-", in: NSTemporaryDirectory())
        defer { withExtendedLifetime(scratch) {} }  // removed as it is released, after the servers stop
        let dir = scratch.path
        // Seed offset 0: the EnvOpen seeds below alone decide the games, as in the plain loop.
        let servers = try EnvServerProcesses(envID: envID, count: 1, envs: envs, seed: 0, socketDirectory: dir,
                                             logDirectory: URL(fileURLWithPath: dir), timeout: 120)
        defer { servers.stop() }
        let context = try Context()
        defer { context.terminate() }
        let logger = Logger(label: "bench")
        print("Gymnasium env benchmark: \(envID), \(envs) envs in one Python process, \(steps) batched steps per measurement, \(rounds) round\(rounds == 1 ? "" : "s")")
        // Both sides play the same games: the same seeds and this one table of actions.
        let actionCount = try RemoteVectorEnv.probe(endpoint: servers.endpoints[0], timeout: 120).spec.actionCount
        var rng = SplitMix64(seed: seed ^ 0xBE4C)
        let actions = (0..<(steps * envs)).map { _ in Int32(rng.below(actionCount)) }
        let actionsFile = URL(fileURLWithPath: dir).appendingPathComponent("actions.i32")
        try actions.withUnsafeBytes { try Data($0).write(to: actionsFile) }
        var plain: [Double] = [], whole: [Double] = [], sliced: [Double] = []
        func line(_ label: String, _ p: Double, _ w: Measurement, _ s: Measurement) -> String {
            String(format: "%@ plain Python loop %6.0f steps/s   served whole %6.0f (ratio %.2f, server busy %3.0f%%)   "
                   + "served in 2 slices %6.0f (ratio %.2f, busy %3.0f%%)",
                   label, p, w.rate, w.rate / p, w.busy * 100, s.rate, s.rate / p, s.busy * 100)
        }
        let pid = servers.processIdentifiers[0]
        for round in 1...rounds {
            let p = try measurePlain(python: python, script: script, actions: actionsFile)
            let w = try measureServed(endpoint: servers.endpoints[0], server: pid, splits: 1, actions: actions, context: context, logger: logger)
            let s = try measureServed(endpoint: servers.endpoints[0], server: pid, splits: 2, actions: actions, context: context, logger: logger)
            plain.append(p)
            whole.append(w.rate)
            sliced.append(s.rate)
            print(line("round \(round):", p, w, s))
        }
        // Each round's three figures are taken back to back, so the median of the per-round ratios
        // is less exposed to the machine's drift than the ratio of medians.
        let wholeRatio = Quantile.median(zip(whole, plain).map(/)), slicedRatio = Quantile.median(zip(sliced, plain).map(/))
        print(String(format: "median of the per-round ratios: served whole %.2f (%+.0f%%), served in 2 slices %.2f (%+.0f%%)",
                     wholeRatio, (wholeRatio - 1) * 100, slicedRatio, (slicedRatio - 1) * 100))
    }

    /// Steps/s of the server's envs stepped in `splits` slices, each by its own env on its own thread;
    /// env i (of all `envs`) is seeded with `seed + i` and takes `actions[step * envs + i]`.
    /// Steps/s, and the share of the wall time the server process spent on a CPU.
    struct Measurement {
        var rate: Double
        var busy: Double
    }

    private func measureServed(endpoint: String, server: Int32, splits: Int, actions: [Int32], context: Context,
                               logger: Logger) throws -> Measurement {
        let starts = (0...splits).map { envs * $0 / splits }  // the server's slice boundaries
        let slices = try (0..<splits).map {
            UncheckedSendable(try RemoteVectorEnv(slices: [EnvServerSlice(endpoint: endpoint, split: $0, splits: splits)],
                                                  seed: seed &+ UInt64(starts[$0]), context: context, timeout: 120, logger: logger))
        }
        let failures = Mutex<[Error]>([])
        let cpuBefore = Self.cpuSeconds(server)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: splits) { k in
            let env = slices[k].value
            do {
                for step in 0..<steps {
                    let first = step * envs + starts[k]
                    try actions[first..<(first + env.count)].withUnsafeBufferPointer { try env.step(actions: $0) }
                }
            } catch {
                failures.withLock { $0.append(error) }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let busy = (Self.cpuSeconds(server) - cpuBefore) / seconds
        if let error = failures.withLock({ $0.first }) { throw error }
        return Measurement(rate: Double(steps * slices.reduce(0) { $0 + $1.value.count }) / seconds, busy: busy)
    }

    /// User + system CPU seconds of process `pid` so far (/proc/PID/stat; 0 where there is no /proc).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private func measurePlain(python: URL, script: URL, actions: URL) throws -> Double {
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, "--env", envID, "--num-envs", "\(envs)", "--steps", "\(steps)", "--seed", "\(seed)",
                             "--actions", actions.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rate = json["steps_per_second"] as? Double else {
            throw RemoteEnvironmentError.serverUnavailable(endpoint: script.path, reason: "plain loop failed: \(String(decoding: data, as: UTF8.self))")
        }
        return rate
    }
}
