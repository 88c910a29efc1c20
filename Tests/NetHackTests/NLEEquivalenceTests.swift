import Foundation
import Testing
import YendorEnvironment
@testable import NetHack
import YendorTestSupport

extension InProcessNetHackGames {
    /// Yendor's host against the real `nle` package: the same seeds and actions must give the same
    /// glyphs, statistics, messages, rewards and episode ends, step by step, across resets.
    @Suite(.enabled(if: NLEFixture.available, "needs .venv with nle 1.3.0 (make deps)"))
    struct NLEEquivalenceTests {
        /// One step of the reference trace.
        struct Observation: Equatable {
            var glyphs: [Int16], blstats: [Int], message: [UInt8]
        }
        struct Step {
            var reward: Float, done: Bool, observation: Observation
        }

        static let nleTasks = ["score", "staircase", "gold", "eat", "scout", "oracle", "pet", "challenge"]

        @Test(arguments: nleTasks)
        func yendorsHostMatchesTheNLEPackageStepByStep(task: String) async throws {
            let limit = 150
            try await compareWithNLE(task: NetHackTask.named(task).withStepLimit(limit), arguments: ["--max-episode-steps", "\(limit)"])
        }

        /// NetHackChallenge's no-progress timeout, shrunk so that random keys (many of which leave game
        /// time standing) hit it: NLE's timeout of 10 steps is Yendor's limit of 5 (NLE counts twice a step).
        @Test func challengesNoProgressTimeoutMatchesNLEs() async throws {
            var task = try NetHackTask.named("challenge").withStepLimit(150)
            task.noProgressLimit = 5
            let stalled = try await compareWithNLE(task: task, arguments: ["--max-episode-steps", "150", "--no-progress-timeout", "10"])
            #expect(stalled >= 3, "only \(stalled) episodes ended by the no-progress timeout")
        }

        /// Every NLE task's action keys, in order, are the ones the `nle` package's env uses.
        @Test(arguments: nleTasks)
        func actionKeysAreNLEs(task: String) async throws {
            let dir = Scratch.root.appendingPathComponent("nle-keys-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let out = dir.appendingPathComponent("keys.txt")
            let child = try ChildProcess(executable: NLEFixture.python, arguments: [
                NLEFixture.repository.appendingPathComponent("scripts/nle_reference.py").path, "--task", task,
                "--print-actions", "--out", out.path])
            #expect(await child.waitForExit(timeout: 600) == 0, "nle_reference.py failed: \(child.standardError)")
            let keys = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map { Int32($0) }
            #expect(try NetHackTask.named(task).actions.keys == keys)
        }

        /// Runs 1,000 random actions through Yendor's host and through scripts/nle_reference.py (given
        /// `arguments` for the task's limits) and requires identical steps; returns how many episodes
        /// ended before the step limit without the game ending by itself.
        @discardableResult
        func compareWithNLE(task: NetHackTask, arguments: [String]) async throws -> Int {
            let steps = 1000, limit = task.stepLimit
            let core: UInt64 = 1000 + UInt64(task.name.utf8.count), display: UInt64 = 77
            var rng = SplitMix64(seed: 5 + UInt64(task.name.utf8.count))
            let actionCount = task.actions.keys.count
            let actions = (0..<steps).map { _ in Int32(rng.below(actionCount)) }
            let (initial, reference) = try await Self.referenceTrace(task: task.name, core: core, display: display, arguments: arguments,
                                                                     actions: actions)
            #expect(reference.count == steps)

            let env = try NetHackVectorEnv(task: task, count: 1, seeding: .sequential(core: core, display: display),
                                           library: try #require(NLEFixture.library), cropSize: 9, writeFullMap: true)
            #expect(Self.observe(env) == initial, "reset observation differs")
            var episodes = 0, lengthInEpisode = 0, cutEarly = 0
            for (i, action) in actions.enumerated() {
                try env.step(actions: [action])
                lengthInEpisode += 1
                let want = reference[i]
                let got = Self.observe(env)
                #expect(env.reward[0] == want.reward, "step \(i): reward \(env.reward[0]) vs NLE's \(want.reward)")
                #expect((env.done[0] == 1) == want.done, "step \(i): done \(env.done[0]) vs NLE's \(want.done)")
                if got != want.observation {
                    Issue.record("step \(i) (episode \(episodes)): observation differs; message '\(env.game(0).messageText)' vs NLE's '\(String(decoding: want.observation.message.prefix { $0 != 0 }, as: UTF8.self))', blstats \(got.blstats) vs \(want.observation.blstats)")
                    return cutEarly
                }
                if env.done[0] == 1 {
                    // Cut by the step limit exactly when it was reached; earlier only by the no-progress limit.
                    if env.truncated[0] == 1 && lengthInEpisode != limit {
                        #expect(task.noProgressLimit != nil, "cut after \(lengthInEpisode) of \(limit) steps")
                        cutEarly += 1
                    }
                    episodes += 1
                    lengthInEpisode = 0
                }
            }
            #expect(episodes >= 3, "only \(episodes) episodes in \(steps) steps: resets were not exercised")
            return cutEarly
        }

        static func observe(_ env: NetHackVectorEnv) -> Observation {
            let game = env.game(0)
            return Observation(glyphs: game.glyphs, blstats: game.blstats, message: game.message)
        }

        /// Runs scripts/nle_reference.py and parses its trace; on a done step the observation kept is the
        /// reset one that follows (Yendor auto-resets).
        static func referenceTrace(task: String, core: UInt64, display: UInt64, arguments: [String], actions: [Int32]) async throws
            -> (Observation, [Step]) {
            let dir = Scratch.root.appendingPathComponent("nle-ref-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let actionsFile = dir.appendingPathComponent("actions.txt"), out = dir.appendingPathComponent("trace.bin")
            try actions.map(String.init).joined(separator: "\n").write(to: actionsFile, atomically: true, encoding: .utf8)
            let child = try ChildProcess(executable: NLEFixture.python, arguments: [
                NLEFixture.repository.appendingPathComponent("scripts/nle_reference.py").path, "--task", task,
                "--core-seed", "\(core)", "--disp-seed", "\(display)", "--actions", actionsFile.path, "--out", out.path]
                + arguments)
            // Waiting without blocking a thread of the cooperative pool (other tests need them).
            #expect(await child.waitForExit(timeout: 600) == 0, "nle_reference.py failed: \(child.standardError)")
            let data = try [UInt8](Data(contentsOf: out))
            var reader = TraceReader(bytes: data)
            #expect(Array(data[0..<8]) == Array("NLEREF01".utf8))
            reader.offset = 8
            let count = Int(reader.u32())
            var observation = reader.observation()
            let initial = observation
            var steps: [Step] = []
            for _ in 0..<count {
                let reward = reader.f32()
                let done = reader.u8() == 1
                _ = reader.u8()
                observation = reader.observation()
                if done { observation = reader.observation() }
                steps.append(Step(reward: reward, done: done, observation: observation))
            }
            #expect(reader.offset == data.count)
            return (initial, steps)
        }

        struct TraceReader {
            let bytes: [UInt8]
            var offset = 0
            mutating func take(_ n: Int) -> ArraySlice<UInt8> { defer { offset += n }; return bytes[offset..<offset + n] }
            mutating func u8() -> UInt8 { take(1).first! }
            mutating func u32() -> UInt32 { take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
            mutating func u64() -> UInt64 { take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
            mutating func f32() -> Float { Float(bitPattern: u32()) }
            mutating func observation() -> NLEEquivalenceTests.Observation {
                let glyphs = (0..<(21 * 79)).map { _ in Int16(bitPattern: UInt16(truncatingIfNeeded: take(2).reversed().reduce(0) { $0 << 8 | UInt32($1) })) }
                let blstats = (0..<27).map { _ in Int(Int64(bitPattern: u64())) }
                let message = Array(take(256))
                return .init(glyphs: glyphs, blstats: blstats, message: message)
            }
        }
    }
}
