import Foundation
@testable import NetHack
import Testing

/// The options NLE's Python layer passes (nle/nethack/nethack.py), with its default character.
let nleOptions = "autopickup,color,disclose:+i +a +v +g +c +o,mention_walls,nobones,nocmdassist,nolegacy,"
    + "nosparkle,pickup_burden:unencumbered,pickup_types:$?!/,runmode:teleport,showexp,showscore,time,"
    + "name:Agent-mon-hum-neu-mal"

extension InProcessNetHackGames {
    @Suite struct NetHackGameTests {
        @Test func aSeededGameIsReproducibleAndAnotherSeedDiffers() throws {
            let library = try NetHackLibrary.locate()
            func play(_ seeds: NetHackGame.Seeds) throws -> ([Int16], [Int], String) {
                let game = try NetHackGame(library: library, options: nleOptions)
                try game.reset(seeds: seeds)
                for key in [Int32(UInt8(ascii: "l")), 106, 107, 104, 108, 108] { game.step(key: key) }
                return (game.glyphs, game.blstats, game.messageText)
            }
            let a = try play(.init(core: 1, display: 2)), b = try play(.init(core: 1, display: 2))
            let c = try play(.init(core: 99, display: 2))
            #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2)
            #expect(a.0 != c.0)
            #expect(a.1[10] > 0 && a.1[11] >= a.1[10], "hit points \(a.1[10]) of \(a.1[11])")
        }
    }

    /// NetHack, a terminal game, ignores SIGHUP and SIGXCPU when a game ends. In a process that hosts
    /// games those signals belong to the user (`nohup`, a job's CPU limit), so a game leaves them, and
    /// the shutdown signals, as the process had them.
    @Suite struct NetHackSignalTests {
        static let signals: [Int32] = [SIGHUP, SIGXCPU, SIGQUIT, SIGINT, SIGTERM]

        static func dispositions() -> [UInt] {
            signals.map { signal in
                var action = sigaction()
                sigaction(signal, nil, &action)
                return unsafeBitCast(action.__sigaction_handler.sa_handler, to: UInt.self)
            }
        }

        @Test func startingPlayingToTheEndAndUnloadingAGameLeavesTheProcessSignalsAloneAndItsLogsEmpty() throws {
            let before = Self.dispositions()
            let library = try NetHackLibrary.locate()
            var game: NetHackGame? = try NetHackGame(library: library, options: nleOptions)
            try game?.reset(seeds: .init(core: 3, display: 4))
            #expect(Self.dispositions() == before, "after the start")
            // Quit (M-q) once the welcome's --More-- are dismissed, say yes to every question and
            // dismiss every --More-- until the game is over.
            var quitSent = false
            for _ in 0..<300 where game?.isDone == false {
                guard let g = game else { break }
                let key: Int32
                if g.internalState[3] != 0 { key = 13 }                       // --More--
                else if g.internalState[1] != 0 { key = Int32(UInt8(ascii: "y")) }  // a yes/no question
                else if !quitSent { key = 0x80 | Int32(UInt8(ascii: "q")); quitSent = true }
                else { key = 13 }
                g.step(key: key)
            }
            #expect(game?.isDone == true, "the quit did not end the game")
            #expect(Self.dispositions() == before, "after the game ended")
            // The ended game's line in NetHack's logs goes at the next start: a worker's games are
            // reset thousands of times, and the logs grew in the temporary directory by as much.
            let logs = ["logfile", "xlogfile"].map { game!.directoryPath + "/" + $0 }
            func sizes() -> [Int] { logs.map { ((try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? Int) ?? -1 } }
            #expect(sizes().allSatisfy { $0 > 0 }, "the ended game wrote no log line: \(sizes())")
            try game?.reset(seeds: .init(core: 3, display: 4))
            #expect(sizes() == [0, 0])
            game = nil
            #expect(Self.dispositions() == before, "after the game was unloaded")

            let running = try NetHackGame(library: library, options: nleOptions)
            try running.reset(seeds: .init(core: 5, display: 6))
            try running.reset(seeds: .init(core: 7, display: 8))  // ends the running game first
            #expect(!running.isDone)
            #expect(Self.dispositions() == before, "after a running game was ended by a reset")
        }
    }
}
