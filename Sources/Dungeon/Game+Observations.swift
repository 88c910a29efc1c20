// What the player sees (vision, memory, the Oracle) and how the game writes its observations.
extension Game {
    // MARK: Vision

    /// Whether the player sees a square: neighbours always, the whole room (walls included)
    /// when standing in a lit room.
    @inline(__always)
    func canSee(_ i: Int) -> Bool {
        let sx = i % level.width, sy = i / level.width
        if abs(sx - x) <= 1 && abs(sy - y) <= 1 { return true }
        guard roomInView >= 0 else { return false }
        return level.rooms[roomInView].containsWithWalls(x: sx, y: sy)
    }

    mutating func refreshMemoryIfSeen(_ i: Int) {
        if canSee(i) { level.memory[i] = level.rememberedGlyph(i) }
    }

    /// Updates what the player remembers: the lit room they stand in (on entry) and their neighbours.
    mutating func updateVision() {
        let here = level.index(x, y)
        let room = Int(level.roomOf[here])
        let litRoom = room >= 0 && level.rooms[room].lit ? room : -1
        if litRoom != roomInView {
            roomInView = litRoom
            if litRoom >= 0 {
                let r = level.rooms[litRoom]
                for sy in (r.lowY - 1)...(r.highY + 1) {
                    for sx in (r.lowX - 1)...(r.highX + 1) {
                        let i = level.index(sx, sy)
                        level.memory[i] = level.rememberedGlyph(i)
                    }
                }
            }
        }
        for dy in -1...1 {
            let sy = y + dy
            guard sy >= 0 && sy < level.height else { continue }
            for dx in -1...1 {
                let sx = x + dx
                guard sx >= 0 && sx < level.width else { continue }
                let i = level.index(sx, sy)
                level.memory[i] = level.rememberedGlyph(i)
            }
        }
    }

    mutating func checkOracle() {
        besideOracle = false
        guard level.oracleRoom >= 0 else { return }
        for (dx, dy) in Game.neighbourOffsets {
            let nx = x + dx, ny = y + dy
            guard level.inBounds(nx, ny) else { continue }
            let slot = Int(level.monsterAt[level.index(nx, ny)])
            if slot >= 0 && level.monsters[slot].kind == .oracle {
                besideOracle = true
                if !hasMetOracle {
                    hasMetOracle = true
                    line.say(.oracleRegards)
                    line.say(Message.oracleSayings[rng.below(Message.oracleSayings.count)])
                }
                return
            }
        }
    }

    // MARK: Observations

    /// The glyph shown at a square: the player, a seen monster, else memory.
    @inline(__always)
    func displayedGlyph(_ i: Int) -> Int16 {
        if i == level.index(x, y) { return Glyph.player }
        let slot = Int(level.monsterAt[i])
        if slot >= 0 && canSee(i) {
            let m = level.monsters[slot]
            return (m.tame ? Glyph.petBase : Glyph.monsterBase) + Int16(m.kind.rawValue)
        }
        return level.memory[i]
    }

    /// Writes the full map (`rows * columns` glyphs, row-major).
    public func writeGlyphs(into destination: UnsafeMutablePointer<Int16>) {
        level.memory.withUnsafeBufferPointer { memory in
            destination.update(from: memory.baseAddress!, count: memory.count)
        }
        for m in level.monsters where m.alive {
            let i = level.index(m.x, m.y)
            if canSee(i) { destination[i] = (m.tame ? Glyph.petBase : Glyph.monsterBase) + Int16(m.kind.rawValue) }
        }
        destination[level.index(x, y)] = Glyph.player
    }

    /// Writes a `size x size` crop centred on the player; squares off the map are `Glyph.stone`.
    public func writeCrop(into destination: UnsafeMutablePointer<Int16>, size: Int) {
        let half = size / 2
        var k = 0
        level.memory.withUnsafeBufferPointer { memory in
            for row in 0..<size {
                let sy = y - half + row
                for column in 0..<size {
                    let sx = x - half + column
                    destination[k] = (sy >= 0 && sy < level.height && sx >= 0 && sx < level.width)
                        ? memory[sy * level.width + sx] : Glyph.stone
                    k += 1
                }
            }
        }
        for m in level.monsters where m.alive {
            let cx = m.x - x + half, cy = m.y - y + half
            guard cx >= 0 && cx < size && cy >= 0 && cy < size else { continue }
            if canSee(level.index(m.x, m.y)) {
                destination[cy * size + cx] = (m.tame ? Glyph.petBase : Glyph.monsterBase) + Int16(m.kind.rawValue)
            }
        }
        destination[half * size + half] = Glyph.player
    }

    /// Writes the `BLStat.count` status values.
    public func writeBlstats(into destination: UnsafeMutablePointer<Int32>) {
        destination[BLStat.x.rawValue] = Int32(x)
        destination[BLStat.y.rawValue] = Int32(y)
        destination[BLStat.hitPoints.rawValue] = Int32(hitPoints)
        destination[BLStat.maxHitPoints.rawValue] = Int32(maxHitPoints)
        destination[BLStat.depth.rawValue] = Int32(depth)
        destination[BLStat.gold.rawValue] = Int32(truncatingIfNeeded: gold)
        destination[BLStat.experienceLevel.rawValue] = Int32(experienceLevel)
        destination[BLStat.experiencePoints.rawValue] = Int32(truncatingIfNeeded: experiencePoints)
        destination[BLStat.hunger.rawValue] = Int32(hungerState)
        destination[BLStat.nutrition.rawValue] = Int32(truncatingIfNeeded: nutrition)
        destination[BLStat.turn.rawValue] = Int32(truncatingIfNeeded: turn)
        destination[BLStat.score.rawValue] = Int32(truncatingIfNeeded: score)
        destination[BLStat.keys.rawValue] = inventory[Int(ItemKind.key.rawValue)]
        var food: Int32 = 0, potions: Int32 = 0
        for kind in ItemKind.allCases {
            if kind.isFood { food += inventory[Int(kind.rawValue)] }
            if kind.isPotion { potions += inventory[Int(kind.rawValue)] }
        }
        destination[BLStat.food.rawValue] = food
        destination[BLStat.potions.rawValue] = potions
        destination[BLStat.deepest.rawValue] = Int32(deepest)
    }

    /// 0 not hungry, 1 hungry, 2 weak, 3 fainting.
    public var hungerState: Int { nutrition >= 150 ? 0 : (nutrition >= 50 ? 1 : (nutrition >= 0 ? 2 : 3)) }

    /// Copies the caption into a buffer of at least `configuration.captionBytes`; returns its length.
    public func writeCaption(into destination: UnsafeMutablePointer<UInt8>) -> Int {
        let length = line.length
        line.bytes.withUnsafeBufferPointer { bytes in
            destination.update(from: bytes.baseAddress!, count: length)
        }
        return length
    }

    /// The current caption's key for `EpisodeCaptionCounts`: the message line's FNV-1a hash, kept
    /// as the line is written, so counting costs no pass over the text.
    var captionKey: Int { Int(truncatingIfNeeded: line.hash) }
}

extension MonsterKind {
    /// "a jackal corpse" phrases, for messages about corpses on the floor.
    static let corpsePhrases: [[UInt8]] = allCases.map { kind in
        let name = kind.stats.name
        let article = "aeiouAEIOU".contains(name.first!) ? "an " : "a "
        return Array((article + name + " corpse").utf8)
    }
}
