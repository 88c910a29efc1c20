import Foundation
import NetHack
import Testing

/// The options NLE's Python layer passes (nle/nethack/nethack.py), with its default character.
let nleOptions = "autopickup,color,disclose:+i +a +v +g +c +o,mention_walls,nobones,nocmdassist,nolegacy,"
    + "nosparkle,pickup_burden:unencumbered,pickup_types:$?!/,runmode:teleport,showexp,showscore,time,"
    + "name:Agent-mon-hum-neu-mal"

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
