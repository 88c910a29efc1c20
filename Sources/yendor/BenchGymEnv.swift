import Foundation
import Logging
import RemoteEnvironment
import YendorEnvironment
import ZeroMQ
import YendorSupport

/// `yendor bench env --env gym:ID`: N Gymnasium envs stepped in a plain Python loop against the same
/// envs in one `yendor-env serve` process stepped by Yendor's `RemoteVectorEnv` (what a worker
/// does), alternating rounds in one run; prints both and the ratio (goal: the served path loses at
/// most 15% per Python process).
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
        let dir = NSTemporaryDirectory() + "yendor-bench-gym-\(getpid())"
        let servers = try EnvServerProcesses(envID: envID, count: 1, envs: envs, seed: seed, socketDirectory: dir,
                                             logDirectory: URL(fileURLWithPath: dir), timeout: 120)
        defer { servers.stop(); try? FileManager.default.removeItem(atPath: dir) }
        let context = try Context()
        defer { context.terminate() }
        let logger = Logger(label: "bench")
        print("Gymnasium env benchmark: \(envID), \(envs) envs in one Python process, \(steps) batched steps per measurement, \(rounds) rounds")
        var plain: [Double] = [], served: [Double] = []
        for round in 1...rounds {
            let p = try measurePlain(python: python, script: script)
            let s = try measureServed(endpoint: servers.endpoints[0], context: context, logger: logger)
            plain.append(p)
            served.append(s)
            print(String(format: "round %d: plain Python loop %8.0f steps/s   served to Yendor %8.0f steps/s   ratio %.2f", round, p, s, s / p))
        }
        let p = plain.sorted()[plain.count / 2], s = served.sorted()[served.count / 2]
        print(String(format: "median:  plain Python loop %8.0f steps/s   served to Yendor %8.0f steps/s   ratio %.2f (%+.0f%%)",
                     p, s, s / p, (s / p - 1) * 100))
    }

    private func measureServed(endpoint: String, context: Context, logger: Logger) throws -> Double {
        let env = try RemoteVectorEnv(endpoints: [endpoint], seed: seed, context: context, timeout: 120, logger: logger)
        var rng = SplitMix64(seed: seed ^ 0xBE4C)
        var actions = [Int32](repeating: 0, count: env.count)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps {
            for i in 0..<env.count { actions[i] = Int32(rng.below(env.spec.actionCount)) }
            try env.step(actions: actions)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(steps * env.count) / seconds
    }

    private func measurePlain(python: URL, script: URL) throws -> Double {
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, "--env", envID, "--num-envs", "\(envs)", "--steps", "\(steps)", "--seed", "\(seed)"]
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
