import Foundation
import NetHack

/// `yendor play --env nle`: real NetHack, hosted by Yendor exactly as workers host it, in the
/// terminal with NetHack's own keys (every key goes to the game; Ctrl-] leaves).
struct NetHackPlay {
    let task: String
    let seed: UInt64

    func run() throws {
        let library = try NetHackLibrary.locate()
        let task = try NetHackTask.named(self.task)
        let game = try NetHackGame(library: library, options: task.options, terminal: true)
        try game.reset(seeds: .init(core: seed, display: seed &+ 1))
        let terminal = RawTerminal()
        defer { terminal.restore() }
        var steps = 0
        while true {
            print(screen(game) + "[nle \(task.name) seed \(seed) step \(steps)] Ctrl-] leaves", terminator: "\r\n")
            if game.isDone { print("The game is over.", terminator: "\r\n"); break }
            guard let key = terminal.readByte(), key != 0x1d else { break }
            game.step(key: Int32(key == 10 ? 13 : key))
            steps += 1
        }
    }

    /// The 24×80 terminal NetHack drew, with its colours as ANSI escapes.
    private func screen(_ game: NetHackGame) -> String {
        var out = "\u{1B}[H\u{1B}[2J"
        for row in 0..<24 {
            var color: Int8 = -1
            for column in 0..<80 {
                let i = row * 80 + column
                let c = game.terminalColors[i]
                if c != color {
                    color = c
                    out += "\u{1B}[\(c & 8 != 0 ? 1 : 0);3\(c & 7)m"
                }
                let ch = game.terminalCharacters[i]
                out.unicodeScalars.append(UnicodeScalar(ch >= 32 && ch < 127 ? ch : 32))
            }
            out += "\u{1B}[0m\r\n"
        }
        return out
    }
}
