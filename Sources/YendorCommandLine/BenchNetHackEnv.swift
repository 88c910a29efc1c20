import Foundation
import NetHack
import YendorEnvironment
import YendorSupport

/// `yendor bench env --env nle`: Yendor-hosted NetHack against the `nle` Python env, the same task,
/// the same observations (glyphs, blstats, message), random actions, one core, measured in
/// alternating rounds of the same run; prints both and their ratio, for one game and for `games`
/// games stepped in turn, as a rollout actor steps its envs (each game's memory is then cold in
/// the caches when its turn comes, which is most of what a game costs while training).
struct NetHackEnvBench {
    let task: String
    let steps: Int
    let seed: UInt64
    let rounds: Int
    /// Games stepped in turn in the second measurement (`--vector`).
    let games: Int

    func run() throws {
        let library = try NetHackLibrary.locate()
        let python = library.directory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("bin/python")
        let script = try Self.script("bench_nle_python.py")
        print("NLE env benchmark: task \(task), random actions, one core, \(steps) steps per measurement, \(rounds) round\(rounds == 1 ? "" : "s")")
        print("observations: glyphs 21x79, blstats 27, message 256 (Yendor also writes the 9x9 crop)")
        // ONI's tasks (the level tasks, the extended action sets) are not in the nle package: Yendor's
        // side alone, said so (trial N: the Python script's usage error ended the benchmark).
        let compared = try NetHackTask.named(task).style == .nle
        if compared {
            // The nle package's side first, for no steps: a broken venv is said before Yendor's side has run.
            _ = try measurePython(python: python, script: script, steps: 0)
        } else {
            let tasks = NetHackTask.all.filter { $0.style == .nle }.map(\.name).joined(separator: ", ")
            print("the nle package has no task \(task) (it is ONI's): Yendor-hosted figures alone; the tasks measured against the nle Python env are \(tasks)")
        }
        for count in games > 1 ? [1, games] : [1] {
            print("\(count) game\(count == 1 ? "" : "s")\(count == 1 ? "" : ", stepped in turn"):")
            var yendor: [Double] = [], nle: [Double] = []
            for round in 1...rounds {
                let y = try measureYendor(library: library, games: count)
                guard compared else {
                    yendor.append(y)
                    print(String(format: "round %d: Yendor-hosted %8.0f steps/s", round, y))
                    continue
                }
                let p = try measurePython(python: python, script: script, games: count)
                yendor.append(y)
                nle.append(p)
                print(String(format: "round %d: Yendor-hosted %8.0f steps/s   nle Python env %8.0f steps/s   ratio %.2f", round, y, p, y / p))
            }
            let y = Quantile.median(yendor), p = Quantile.median(nle)
            guard compared else {
                print(String(format: "median:  Yendor-hosted %8.0f steps/s   (Yendor %.1f us per step)", y, 1e6 / y))
                continue
            }
            print(String(format: "median:  Yendor-hosted %8.0f steps/s   nle Python env %8.0f steps/s   ratio %.2fx   (Yendor %.1f us per step)",
                         y, p, y / p, 1e6 / y))
        }
    }

    /// Memory per hosted game, and whether resets (reloads of a game's library copy) leak.
    func memory(games: Int, resets: Int) throws {
        let library = try NetHackLibrary.locate()
        let baseline = Self.memoryMiB()
        let env = try NetHackVectorEnv(task: task, count: games, seed: seed, library: library, writeFullMap: true)
        var rng = SplitMix64(seed: seed)
        var actions = [Int32](repeating: 0, count: games)
        for _ in 0..<200 {
            for i in 0..<games { actions[i] = Int32(rng.below(env.spec.actionCount)) }
            try env.step(actions: actions)
        }
        let withGames = Self.memoryMiB()
        print(String(format: "memory: baseline %.1f MiB, with %d games after 200 steps %.1f MiB: %.2f MiB per game (resident pages, memory files whole)",
                     baseline, games, withGames, (withGames - baseline) / Double(games)))
        let game = try NetHackGame(library: library, options: NetHackTask.named(task).options)
        try game.reset(seeds: .init(core: 1, display: 2))
        let firstReset = Self.memoryMiB()
        for k in 0..<resets { try game.reset(seeds: .init(core: UInt64(k), display: 2)) }
        let afterResets = Self.memoryMiB()
        print(String(format: "resets: one game reset %d times: %.1f MiB after the first, %.1f MiB after the last (growth %.1f MiB)",
                     resets, firstReset, afterResets, afterResets - firstReset))
        withExtendedLifetime(env) {}
    }

    /// The memory this process holds, in MiB: its resident pages (VmRSS) less the memory files'
    /// among them (RssShmem), plus every memory file it has open, whole. A game's library copy is
    /// such a file, and most of it is not mapped (its code and constants are mapped from the one
    /// shared image), so VmRSS alone would leave it out.
    static func memoryMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        func kib(_ field: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        var files = 0.0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            let path = "/proc/self/fd/\(name)"
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: path))?.hasPrefix("/memfd:") == true else { continue }
            var st = stat()
            if stat(path, &st) == 0 { files += Double(st.st_size) / 1024 }
        }
        return (kib("VmRSS") - kib("RssShmem") + files) / 1024
    }

    /// Steps/s of `games` hosted games stepped together (about `steps` env steps in all).
    private func measureYendor(library: NetHackLibrary, games: Int) throws -> Double {
        let env = try NetHackVectorEnv(task: task, count: games, seed: seed, library: library, writeFullMap: true)
        var rng = SplitMix64(seed: seed ^ 0xBE4C)
        var actions = [Int32](repeating: 0, count: games)
        let n = env.spec.actionCount
        let batches = max(1, steps / games)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<batches {
            for i in 0..<games { actions[i] = Int32(rng.below(n)) }
            try env.step(actions: actions)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(batches * games) / seconds
    }

    private func measurePython(python: URL, script: URL, steps: Int? = nil, games: Int = 1) throws -> Double {
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, "--task", task, "--steps", "\(steps ?? self.steps)", "--seed", "\(seed)", "--envs", "\(games)"]
        let out = Pipe()
        process.standardOutput = out
        // Its error output goes to a file (a pipe read after stdout could fill and hang it).
        // Unlinked once open, so that nothing is left if this process is killed; the handles keep it.
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("yendor-bench-nle-\(getpid()).err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let errorWriter = try FileHandle(forWritingTo: errors), errorReader = try FileHandle(forReadingFrom: errors)
        try? FileManager.default.removeItem(at: errors)
        process.standardError = errorWriter
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let said = String(decoding: ((try? errorReader.readToEnd()) ?? Data()).suffix(1500), as: UTF8.self)
        guard process.terminationStatus == 0,
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rate = json["steps_per_second"] as? Double else {
            throw NetHackError.invalidConfiguration("\(script.path) failed (exit \(process.terminationStatus)): \(String(decoding: data, as: UTF8.self))\(said)")
        }
        return rate
    }

    /// A script of the repository's scripts/ folder, found from the working directory or the executable.
    static func script(_ name: String) throws -> URL {
        if let url = RepositoryFile.find("scripts/\(name)") { return url }
        throw NetHackError.invalidConfiguration("scripts/\(name) not found near \(FileManager.default.currentDirectoryPath); run from the repository")
    }
}
