import NetHack
import Testing
@testable import NetHack

/// Each task's success rule on hand-built states (the equivalence test checks the rest against NLE).
@Suite struct NetHackTaskTests {
    func state(x: Int = 40, y: Int = 10, depth: Int = 1, onStairs: Bool = false, around: [(Int, Int, Int16)] = [])
        -> (glyphs: [Int16], blstats: [Int], internalState: [Int32]) {
        var glyphs = [Int16](repeating: Int16(NetHackGlyph.stone), count: 21 * 79)
        for (dx, dy, glyph) in around { glyphs[(y + dy) * 79 + x + dx] = glyph }
        var blstats = [Int](repeating: 0, count: 27)
        blstats[NetHackStat.x] = x; blstats[NetHackStat.y] = y; blstats[NetHackStat.depth] = depth
        var flags = [Int32](repeating: 0, count: 9)
        flags[4] = onStairs ? 1 : 0
        return (glyphs, blstats, flags)
    }

    func won(_ task: String, _ s: (glyphs: [Int16], blstats: [Int], internalState: [Int32])) throws -> Bool {
        try NetHackTask.named(task).isWon(glyphs: s.glyphs, blstats: s.blstats, internalState: s.internalState)
    }

    @Test func staircaseIsWonOnTheDownStairsOnly() throws {
        #expect(try won("staircase", state(onStairs: true)))
        #expect(try !won("staircase", state()))
    }

    @Test func petStaircaseNeedsAPetInTheNineCellsAroundThePlayer() throws {
        let pet = Int16(NetHackGlyph.petOffset + 17)
        #expect(try won("pet", state(onStairs: true, around: [(1, -1, pet)])))
        #expect(try !won("pet", state(onStairs: true, around: [(2, 0, pet)])), "two cells away is not next to")
        #expect(try !won("pet", state(onStairs: true, around: [(1, 0, Int16(17))])), "a hostile monster is not a pet")
        #expect(try !won("pet", state(onStairs: false, around: [(1, 0, pet)])))
    }

    @Test func oracleIsWonNextToTheOracleAndNumpysEdgeSlicingIsKept() throws {
        let oracle = Int16(NetHackGlyph.oracle)
        #expect(try won("oracle", state(around: [(-1, 1, oracle)])))
        #expect(try !won("oracle", state(around: [(0, 2, oracle)])))
        // At x = 0 NLE's glyphs[y-1:y+2, -1:2] is an empty slice: nothing is next to the player.
        #expect(try !won("oracle", state(x: 0, around: [(1, 0, oracle)])))
    }

    @Test func onisStaircaseLevelTasksAreWonByDescendingTheStairsToThatLevel() throws {
        func descended(level: Int, message: String) -> (glyphs: [Int16], blstats: [Int], internalState: [Int32], message: [UInt8]) {
            var s = state()
            s.blstats[NetHackStat.dungeonLevel] = level
            var bytes = Array(message.utf8)
            bytes += [UInt8](repeating: 0, count: 256 - bytes.count)
            return (s.glyphs, s.blstats, s.internalState, bytes)
        }
        func won(_ task: String, _ s: (glyphs: [Int16], blstats: [Int], internalState: [Int32], message: [UInt8])) throws -> Bool {
            try NetHackTask.named(task).isWon(glyphs: s.glyphs, blstats: s.blstats, internalState: s.internalState, message: s.message)
        }
        #expect(try won("staircase-lvl3", descended(level: 3, message: "You descend the stairs.")))
        #expect(try won("staircase-lvl4-extended", descended(level: 4, message: "You descend the stairs.  You see here a dagger.")))
        #expect(try !won("staircase-lvl3", descended(level: 4, message: "You descend the stairs.")), "ONI wants exactly level 3")
        #expect(try !won("staircase-lvl3", descended(level: 3, message: "You fall through a trap door!")), "falling is not descending")
        #expect(try !won("score", descended(level: 9, message: "You descend the stairs.")), "score never ends on success")
        #expect(NetHackEpisode.firstOfferedLetter(Array("What do you want to eat? [fg or ?*]".utf8)) == UInt8(ascii: "f"))
        #expect(NetHackEpisode.firstOfferedLetter(Array("What do you want to eat? [*]".utf8)) == nil)
    }

    @Test func actionSetsHaveNLEsAndONIsSizesAndKeys() throws {
        #expect(NetHackActionSet.task.keys.count == 23 && NetHackActionSet.task.keys.first == 13)
        #expect(NetHackActionSet.extended.keys.count == 28 && NetHackActionSet.extended.keys.suffix(5) == [90, 113, 240, 44, 112])
        #expect(NetHackActionSet.full.keys.count == 86 && NetHackActionSet.full.keys.last == 32)
        #expect(try NetHackTask.named("gold").options.contains("pickup_types:$,"))
        #expect(try NetHackTask.named("score").options.contains("pickup_types:$?!/,"))
        #expect(throws: NetHackError.self) { try NetHackTask.named("nope") }
    }

    @Test func challengeIsNLEsNetHackChallenge() throws {
        let task = try NetHackTask.named("challenge")
        #expect(task.nleName == "NetHackChallenge-v0" && task.objective == .score && task.annotatorGoal == .score)
        #expect(task.actions == .keyboard && task.actions.keys.count == 121)
        #expect(task.stepLimit == 1_000_000 && task.frozenPenalty == 0 && task.noProgressLimit == 5000)
        #expect(task.allowsAllQuestions && task.allowsAllModes)
        #expect(task.options.hasSuffix(",pickup_types:$?!/,runmode:teleport,showexp,showscore,time,name:Agent-@,race:random,gender:random,align:random"))
        #expect(try !NetHackTask.named("score").allowsAllModes && NetHackTask.named("score").noProgressLimit == nil)
    }
}
