import Foundation
@testable import NetHack
import Testing
import YendorEnvironment
import YendorTestSupport

extension InProcessNetHackGames {
    @Suite(.enabled(if: NLEFixture.available, "needs .venv with nle 1.3.0 (make deps)"))
    struct NetHackVectorEnvTests {
        var library: NetHackLibrary { NLEFixture.library! }

        @Test func theStepLimitEndsTheEpisodeAsTruncatedAndTheNextOneStarts() throws {
            let env = try NetHackVectorEnv(task: "score", count: 1, seed: 3, library: library, stepLimit: 5)
            let wait: Int32 = 19  // '.' in the task set
            for step in 1...5 {
                try env.step(actions: [wait])
                #expect(env.done[0] == (step == 5 ? 1 : 0))
                #expect(env.truncated[0] == (step == 5 ? 1 : 0))
            }
            let finished = try #require(env.finishedEpisodes.first)
            #expect(finished.length == 5 && finished.truncated && !finished.success)
            #expect(env.blstats[NetHackStat.time] == 1, "the next episode starts at turn 1")
            #expect(env.spec == .nle(cropSize: 9))
        }

        @Test func aStepWithTheWrongActionsIsRefusedNamingTheEnvAndStepsNoGame() throws {
            let env = try NetHackVectorEnv(task: "score", count: 2, seed: 3, library: library)
            let n = env.spec.actionCount
            let before = Array(env.blstats)
            #expect(throws: NetHackError.invalidConfiguration("expected 2 actions, got 3")) { try env.step(actions: [0, 0, 0]) }
            #expect(throws: NetHackError.invalidConfiguration("action \(n) for env 0 is outside 0..<\(n)")) { try env.step(actions: [Int32(n), 0]) }
            #expect(Array(env.blstats) == before, "a refused step steps no game")
        }

        /// A disk that fills while the games play aborted the process at NetHack's next level file,
        /// without a word (trial Y): within `spaceCheckInterval` steps a step throws instead, naming
        /// the place and the space left, before any game moves.
        @Test func aStepThrowsBeforeAnyGameMovesOnceTheGamesDirectoryRunsShortOfSpace() throws {
            let env = try NetHackVectorEnv(task: "score", count: 2, seed: 3, library: library)
            let wait: Int32 = 19
            try env.step(actions: [wait, wait])
            env.minimumFreeBytes = .max
            var thrown: (any Error)?
            var stepped = 0
            while thrown == nil && stepped <= NetHackVectorEnv.spaceCheckInterval {
                let before = (Array(env.blstats), Array(env.glyphs))
                do { try env.step(actions: [wait, wait]); stepped += 1 } catch {
                    thrown = error
                    #expect(Array(env.blstats) == before.0 && Array(env.glyphs) == before.1, "a refused step steps no game")
                }
            }
            let error = try #require(thrown, "no step threw in \(stepped) steps")
            #expect("\(error)".contains("KiB free where NetHack writes its level files") && "\(error)".contains("point TMPDIR"), "\(error)")
            env.minimumFreeBytes = 0
            try env.step(actions: [wait, wait])
        }

        @Test func stepsThatDoNotAdvanceGameTimeCostNLEsPenalty() throws {
            let env = try NetHackVectorEnv(task: "staircase", count: 1, seed: 4, library: library)
            let more: Int32 = 0, wait: Int32 = 19
            try env.step(actions: [more])  // Enter with nothing to confirm: time stands still
            #expect(env.reward[0] == -0.01)
            try env.step(actions: [wait])  // waiting takes a turn
            #expect(env.reward[0] == 0)
        }

        @Test func aQuestionAboutEatingIsLeftToTheAgentAndOthersAreDeclined() throws {
            let env = try NetHackVectorEnv(task: "eat", count: 1, seed: 5, library: library)
            try env.step(actions: [21])  // 'e'
            let game = env.game(0)
            #expect(game.messageText.contains("eat"), "message: \(game.messageText)")
            #expect(game.internalState[1] != 0, "the eat prompt stays open for the agent")
        }

        @Test func theCropIsCentredOnThePlayerAndOffMapCellsReadAsStone() throws {
            let env = try NetHackVectorEnv(task: "score", count: 2, seed: 6, library: library, cropSize: 9)
            for i in 0..<2 {
                let x = Int(env.blstats[i * 27 + NetHackStat.x]), y = Int(env.blstats[i * 27 + NetHackStat.y])
                let centre = env.crop[i * 81 + 4 * 9 + 4]
                #expect(centre == env.glyphs[i * 21 * 79 + y * 79 + x])
                for r in 0..<9 where y - 4 + r < 0 || y - 4 + r >= 21 {
                    #expect(env.crop[i * 81 + r * 9] == Int16(NetHackGlyph.stone))
                }
            }
            #expect(env.caption(0).hasPrefix("Hello Agent, welcome to NetHack!"))
            #expect(env.captionCount[0] == 1)
        }

        /// Several actors step their own games at once; each game's trajectory equals a run alone.
        @Test func manyGamesSteppedConcurrentlyByActorsStayIndependent() async throws {
            actor Player {
                let env: NetHackVectorEnv
                init(seed: UInt64, library: NetHackLibrary) throws {
                    env = try NetHackVectorEnv(task: "score", count: 6, seed: seed, library: library, stepLimit: 200)
                }
                func play(steps: Int) throws -> [Float] {
                    var rng = SplitMix64(seed: 11)
                    var returns: [Float] = []
                    var actions = [Int32](repeating: 0, count: env.count)
                    for _ in 0..<steps {
                        for i in 0..<env.count { actions[i] = Int32(rng.below(env.spec.actionCount)) }
                        try env.step(actions: actions)
                        returns.append(contentsOf: (0..<env.count).map { env.reward[$0] + Float(env.blstats[$0 * 27 + NetHackStat.score]) })
                    }
                    return returns
                }
            }
            let library = self.library
            let together = try await withThrowingTaskGroup(of: (UInt64, [Float]).self) { group in
                for seed: UInt64 in 1...4 {
                    group.addTask { (seed, try await Player(seed: seed, library: library).play(steps: 300)) }
                }
                var out: [UInt64: [Float]] = [:]
                for try await (seed, r) in group { out[seed] = r }
                return out
            }
            for seed: UInt64 in [1, 4] {
                let alone = try await Player(seed: seed, library: library).play(steps: 300)
                #expect(alone == together[seed], "seed \(seed): concurrent games interfered")
            }
            #expect(together[1] != together[2])
        }
    }
}

/// `yendor bench env --env nle` in a child process: its speed rows, and memory (measured there so
/// other tests' allocations do not count).
@Suite(.enabled(if: NLEFixture.available, "needs .venv with nle 1.3.0 (make deps)"))
struct NetHackMemoryTests {
    @Test func aThousandResetsLeakNothingAndGamesStaySmall() async throws {
        let child = try ChildProcess(yendor: ["bench", "env", "--env", "nle", "--memory-games", "16", "--resets", "1000"])
        #expect(await child.waitForExit(timeout: 600) == 0, "\(child.standardError)")
        let lines = child.lines
        let perGame = try #require(lines.first { $0.hasPrefix("memory:") }.flatMap { Self.number(before: " MiB per game", in: $0) })
        let growth = try #require(lines.first { $0.hasPrefix("resets:") }.flatMap { Self.number(before: " MiB)", in: $0) })
        #expect(perGame < 40, "\(lines)")
        #expect(growth < 16, "1000 resets grew RSS by \(growth) MiB: \(lines)")
    }

    @Test func theEnvBenchmarkMeasuresOneGameAndGamesSteppedInTurnOnBothSides() async throws {
        let child = try ChildProcess(yendor: ["bench", "env", "--env", "nle", "--rounds", "1", "--steps", "600", "--vector", "3"])
        #expect(await child.waitForExit(timeout: 600) == 0, "\(child.standardError)")
        let lines = child.lines
        // A header, then a median row with both sides' rates, for one game and for the three in turn.
        for header in ["1 game:", "3 games, stepped in turn:"] {
            let start = try #require(lines.firstIndex(of: header), "\(lines)")
            let median = try #require(lines[start...].first { $0.hasPrefix("median:") }, "\(lines)")
            let yendor = try #require(Self.number(before: " steps/s   nle", in: median), "\(median)")
            let python = try #require(Self.number(before: " steps/s   ratio", in: median), "\(median)")
            #expect(yendor > 0 && python > 0, "\(median)")
        }
    }

    /// ONI's tasks are not in the nle package: Yendor's side alone, and the tasks that compare
    /// (trial N: the Python script's usage error ended the benchmark).
    @Test func anONITaskIsMeasuredOnYendorsSideAloneSayingWhy() async throws {
        let child = try ChildProcess(yendor: ["bench", "env", "--env", "nle", "--task", "staircase-lvl3-extended", "--rounds", "1", "--steps", "300"])
        #expect(await child.waitForExit(timeout: 600) == 0, "\(child.standardError)")
        let lines = child.lines
        #expect(lines.contains { $0.contains("has no task staircase-lvl3-extended") && $0.contains("score, staircase") }, "\(lines)")
        let median = try #require(lines.first { $0.hasPrefix("median:") }, "\(lines)")
        #expect((Self.number(before: " steps/s", in: median) ?? 0) > 0 && !median.contains("nle"), "\(median)")
    }

    static func number(before suffix: String, in line: String) -> Double? {
        guard let end = line.range(of: suffix)?.lowerBound else { return nil }
        let head = line[..<end]
        return Double(head.split(separator: " ").last ?? "")
    }
}
