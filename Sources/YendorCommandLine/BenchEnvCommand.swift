import ArgumentParser
import Dungeon
import Foundation
import NetHack
import YendorEnvironment
import YendorRollout
import YendorSupport

struct BenchEnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Measure env steps per second (random actions, one core): Dungeon's, or NLE hosted by Yendor against the nle Python env."
    )

    @Option(name: .long, help: "dungeon; nle (Yendor-hosted NetHack against the nle Python env); gym:ENV_ID (a yendor-env server stepped by Yendor against a plain Python loop), measured in the same run; or swift:NAME (a registered Swift env, one env and --vector envs).")
    var env: EnvironmentChoice = .dungeon

    @Option(name: .long, help: "With --env nle: the task (score, the default, staircase, …) and alternating rounds.")
    var task: String?

    @Option(name: .long, help: "With --env nle: alternating measurement rounds.")
    var rounds: Int = 3

    @Option(name: .long, help: "With --env nle: measure resident memory with this many games instead (and --resets).")
    var memoryGames: Int = 0

    @Option(name: .long, help: "With --memory-games: reset one game this many times and report memory growth.")
    var resets: Int = 1000

    @Option(name: .long, help: "Tasks to measure (comma-separated); default all.")
    var tasks: String?

    @Option(name: .long, help: "Steps per measurement (with --env nle at most 200,000: the nle Python env is measured as long).")
    var steps: Int = 1_000_000

    @Option(name: .long, help: "Envs in the vector runs (with --env nle: games stepped in turn, measured after one game).")
    var vector: Int = 64

    @Option(name: .long, help: "Run seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Dungeon and swift:NAME: also measure the random policy's success rate over this many episodes per task (0 = skip).")
    var successEpisodes: Int = 0

    func validate() throws {
        for (name, value, least) in [("--steps", steps, 1), ("--vector", vector, 1), ("--rounds", rounds, 1), ("--memory-games", memoryGames, 0),
                                     ("--resets", resets, 0), ("--success-episodes", successEpisodes, 0)] where value < least {
            throw ValidationError("\(name) must be at least \(least), got \(value)")
        }
        for name in tasks?.split(separator: ",").map(String.init) ?? [] {
            do { _ = try TaskRegistry.task(named: name) } catch { throw ValidationError("--tasks: \(error)") }
        }
        if let task, case .nle = env {
            do { _ = try NetHackTask.named(task) } catch { throw ValidationError("--task: \(error)") }
        }
    }

    func run() throws {
        switch env {
        case .dungeon:
            // NetHack's options on the Dungeon table: refused, not ignored.
            if task != nil || memoryGames > 0 {
                throw ValidationError("--task and --memory-games are for --env nle; the Dungeon table takes --tasks")
            }
        case .nle:
            // --tasks and --success-episodes are the Dungeon table's: refused, not ignored.
            if tasks != nil || successEpisodes > 0 {
                throw ValidationError("--tasks and --success-episodes are for --env dungeon; with --env nle, --task names the one task")
            }
            let bench = NetHackEnvBench(task: task ?? "score", steps: min(steps, 200_000), seed: seed, rounds: max(1, rounds), games: vector)
            if memoryGames > 0 { try bench.memory(games: memoryGames, resets: resets) } else { try bench.run() }
            return
        case .gym(let envID):
            if task != nil || tasks != nil || memoryGames > 0 || successEpisodes > 0 {
                throw ValidationError("--task, --tasks, --memory-games and --success-episodes are for --env dungeon and nle; gym:\(envID) is one env")
            }
            try GymEnvBench(envID: envID, envs: min(vector, 256), steps: max(1, steps / max(1, vector)),
                            rounds: max(1, rounds), seed: seed).run()
            return
        case .swift(let name):
            // A registered Swift env, made and checked as rollouts make it: the same rows as a
            // Dungeon task's, one env and a vector of them.
            if task != nil || memoryGames > 0 || tasks != nil {
                throw ValidationError("--task, --tasks and --memory-games are for --env dungeon and nle; swift:\(name) is one task")
            }
            let registered: SwiftEnvironment
            do { registered = try EnvironmentRegistry.environment(named: name) } catch { throw ValidationError("--env swift:\(name): \(error)") }
            let environment = EnvironmentConfiguration(kind: .swift, task: name, spec: registered.spec)
            print("Swift env benchmark: random actions, one core, \(steps) steps per row (each step checked against the contract, as in rollouts)")
            print(registered.spec.fingerprint)
            print("task                        envs   steps/s   episodes")
            for count in [1, vector] {
                let result = try measure(try environment.make(count: count, seed: seed), countCaptions: false)
                print(name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%6d  %9.0f  %9d", count, result.stepsPerSecond, result.episodes))
            }
            if successEpisodes > 0 {
                let (successes, meanLength) = try randomSuccess(try environment.make(count: min(64, successEpisodes), seed: seed &+ 7))
                print(name.padding(toLength: 26, withPad: " ", startingAt: 0)
                      + "  random policy: \(successes)/\(successEpisodes) episodes succeeded, mean length " + String(format: "%.0f", meanLength))
            }
            return
        }
        let names = tasks?.split(separator: ",").map(String.init) ?? TaskRegistry.names
        print("Dungeon env benchmark: random actions, one core, \(steps) steps per row")
        print(ObservationSpec.dungeon().fingerprint)
        print("task                        envs  observations   steps/s   episodes")
        for name in names {
            for (count, fullMap) in [(1, true), (vector, true), (vector, false)] {
                let result = try measure(task: name, count: count, fullMap: fullMap, countCaptions: false)
                let label = fullMap ? "full     " : "crop-only"
                print(name.padding(toLength: 26, withPad: " ", startingAt: 0)
                      + String(format: "%6d  ", count) + label
                      + String(format: "    %9.0f  %9d", result.stepsPerSecond, result.episodes))
            }
            // Caption variety is counted in a separate, untimed run.
            let variety = try measure(task: name, count: vector, fullMap: true, countCaptions: true)
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + "  distinct captions in \(steps) steps: \(variety.distinctCaptions)")
            let definesSuccess = try TaskRegistry.task(named: name).definesSuccess
            if successEpisodes > 0 && !definesSuccess {
                print(name.padding(toLength: 26, withPad: " ", startingAt: 0) + "  random policy: \(name) has no goal to reach (no success rate)")
            } else if successEpisodes > 0 {
                let (successes, meanLength) = try randomSuccess(try VectorEnv(task: name, count: min(64, successEpisodes), seed: seed &+ 7,
                                                                              configuration: VectorEnv.Configuration(writeFullMap: false)))
                print(name.padding(toLength: 26, withPad: " ", startingAt: 0)
                      + "  random policy: \(successes)/\(successEpisodes) episodes succeeded, mean length "
                      + String(format: "%.0f", meanLength))
            }
        }
    }

    /// Successes of uniformly random actions over `successEpisodes` episodes, and the mean episode length.
    private func randomSuccess(_ env: any VectorEnvironment) throws -> (Int, Double) {
        let count = env.count
        var actions = [Int32](repeating: 0, count: count)
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        var episodes = 0, successes = 0, totalLength = 0
        while episodes < successEpisodes {
            for i in 0..<count { actions[i] = Int32(rng.below(env.spec.actionCount)) }
            try env.step(actions: actions)
            for episode in env.finishedEpisodes where episodes < successEpisodes {
                episodes += 1
                totalLength += episode.length
                if episode.success { successes += 1 }
            }
        }
        return (successes, Double(totalLength) / Double(max(1, episodes)))
    }

    private struct Result {
        var stepsPerSecond: Double
        var episodes: Int
        var distinctCaptions: Int
    }

    private func measure(task: String, count: Int, fullMap: Bool, countCaptions: Bool) throws -> Result {
        try measure(try VectorEnv(task: task, count: count, seed: seed, configuration: VectorEnv.Configuration(writeFullMap: fullMap)),
                    countCaptions: countCaptions)
    }

    /// Steps `env` with uniformly random actions for `steps` env steps.
    private func measure(_ env: any VectorEnvironment, countCaptions: Bool) throws -> Result {
        let count = env.count
        var actions = [Int32](repeating: 0, count: count)
        var rng = SplitMix64(seed: seed ^ 0xBE4C)
        var captionHashes = Set<UInt64>()
        let captionBytes = env.spec.captionBytes
        let iterations = max(1, steps / count)
        var episodes = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations {
            for i in 0..<count { actions[i] = Int32(rng.below(env.spec.actionCount)) }
            try actions.withUnsafeBufferPointer { try env.step(actions: $0) }
            episodes += env.finishedEpisodes.count
            if countCaptions {
                for i in 0..<count where env.captionLength[i] > 0 {
                    var h = StableHash.offset
                    let base = i * captionBytes
                    for k in 0..<Int(env.captionLength[i]) { h = StableHash.mix(h, env.captions[base + k]) }
                    captionHashes.insert(h)
                }
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Result(stepsPerSecond: Double(iterations * count) / elapsed, episodes: episodes,
                      distinctCaptions: captionHashes.count)
    }
}
