/// Draws a game as NetHack's tty does: the message line, the map, and two status lines.
public enum Renderer {
    /// The screen as text lines (no colours), e.g. for tests, logs and replays.
    public static func lines(of game: Game) -> [String] {
        var lines: [String] = [game.caption]
        let level = game.level
        for y in 0..<level.height {
            var row = ""
            row.reserveCapacity(level.width)
            for x in 0..<level.width {
                let i = level.index(x, y)
                let glyph = game.displayedGlyph(i)
                if glyph == Glyph.openDoor {
                    // NetHack draws an open door across the doorway: '-' in side walls, '|' in top/bottom walls.
                    let left = x > 0 ? level.tiles[i - 1] : .stone
                    let right = x < level.width - 1 ? level.tiles[i + 1] : .stone
                    row.append(left.isWall || right.isWall ? "|" : "-")
                } else {
                    row.append(Glyph.character(glyph))
                }
            }
            lines.append(row)
        }
        lines.append(statusLine1(game))
        lines.append(statusLine2(game))
        return lines
    }

    /// The same screen with ANSI colours, for a terminal.
    public static func ansi(of game: Game) -> String {
        var out = "\u{1B}[H\u{1B}[2J"
        let plain = lines(of: game)
        out += plain[0] + "\n"
        let level = game.level
        for y in 0..<level.height {
            let row = Array(plain[y + 1])
            var line = ""
            for x in 0..<level.width {
                let glyph = game.displayedGlyph(level.index(x, y))
                let colour = colourCode(glyph)
                if let colour { line += "\u{1B}[\(colour)m\(row[x])\u{1B}[0m" } else { line.append(row[x]) }
            }
            out += line + "\n"
        }
        out += plain[plain.count - 2] + "\n" + plain[plain.count - 1] + "\n"
        return out
    }

    static func statusLine1(_ game: Game) -> String {
        "Agent the Stripling          St:17 Dx:13 Co:18 In:7 Wi:10 Ch:7 Lawful  S:\(game.score)"
    }

    static func statusLine2(_ game: Game) -> String {
        let hunger = ["", " Hungry", " Weak", " Fainting"][game.hungerState]
        return "Dlvl:\(game.depth) $:\(game.gold) HP:\(game.hitPoints)(\(game.maxHitPoints)) Pw:1(1) AC:6 "
            + "Xp:\(game.experienceLevel)/\(game.experiencePoints) T:\(game.turn)\(hunger)"
    }

    private static func colourCode(_ glyph: Int16) -> String? {
        switch glyph {
        case Glyph.player: return "1;37"
        case Glyph.openDoor, Glyph.closedDoor, Glyph.brokenDoor: return "33"
        case Glyph.fountain: return "34"
        case Glyph.upStairs, Glyph.downStairs: return "1;37"
        case Glyph.objectBase: return "1;33"
        case Glyph.objectBase + 1..<Glyph.corpseBase: return "36"
        case Glyph.corpseBase..<Glyph.monsterBase: return "31"
        case Glyph.monsterBase..<Glyph.petBase: return glyph == Glyph.monsterBase + Int16(MonsterKind.oracle.rawValue) ? "1;34" : "1;31"
        case Glyph.petBase..<Glyph.player: return "1;32"
        default: return nil
        }
    }
}
