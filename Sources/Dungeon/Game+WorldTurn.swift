// What happens after each player action: hunger, wandering and acting monsters, the pet, atmosphere.
extension Game {
    // MARK: The world's turn

    mutating func worldTurn() {
        turn += 1
        if prayerTimeout > 0 { prayerTimeout -= 1 }
        moveMonsters()
        if isDead { return }
        updateHunger()
        if isDead { return }
        if hitPoints < maxHitPoints && turn % max(3, 20 - 2 * experienceLevel) == 0 { hitPoints += 1 }
        if rng.oneIn(70) { spawnWanderer() }
        atmosphere()
    }

    mutating func updateHunger() {
        let before = nutrition
        nutrition -= 1
        if before >= 150 && nutrition < 150 { line.say(.hungry) }
        if before >= 50 && nutrition < 50 { line.say(.weak) }
        if nutrition < 0 && sleepTurns == 0 && rng.oneIn(10) {
            line.say(.faint)
            sleepTurns = 2 + rng.below(4)
        }
        if nutrition < -200 {
            line.say(.starve)
            hitPoints = 0
            isDead = true
        }
    }

    mutating func spawnWanderer() {
        guard level.rooms.count > 0 else { return }
        var alive = 0
        for m in level.monsters where m.alive { alive += 1 }
        guard alive < 16 else { return }
        let room = rng.below(level.rooms.count)
        if level.rooms[room].containsWithWalls(x: x, y: y) { return }
        let i = LevelGenerator.randomFreeFloor(level, room: room, rng: &rng)
        guard level.tiles[i] == .floor, level.monsterAt[i] < 0 else { return }
        LevelGenerator.spawn(&level, at: i, depth: depth, rng: &rng, asleep: false)
    }

    mutating func atmosphere() {
        guard rng.oneIn(40) else { return }
        let roll = rng.below(10)
        if level.oracleRoom >= 0 && roll < 3 {
            line.say(Message.oracleSounds[rng.below(Message.oracleSounds.count)])
        } else if level.fountainCount > 0 && roll < 5 {
            line.say(Message.fountainSounds[rng.below(Message.fountainSounds.count)])
        } else if roll == 5 && level.objects.count >= 4 {
            line.say(Message.goldSounds[rng.below(Message.goldSounds.count)])
        } else if roll >= 8 {
            line.say(Message.generalSounds[rng.below(Message.generalSounds.count)])
        }
    }

    /// Which food `eat` picks first, and which potion `quaff` picks first.
    static let eatingOrder: [ItemKind] = [.foodRation, .apple, .carrot, .fortuneCookie]
    static let drinkingOrder: [ItemKind] = [.potionOfHealing, .potionOfExtraHealing, .potionOfWater, .potionOfBooze,
                                            .potionOfFruitJuice, .potionOfSleeping]

    static let neighbourOffsets: [(Int, Int)] = [(0, -1), (1, 0), (0, 1), (-1, 0), (1, -1), (1, 1), (-1, 1), (-1, -1)]

    mutating func moveMonsters() {
        for slot in level.monsters.indices {
            guard level.monsters[slot].alive else { continue }
            let kind = level.monsters[slot].kind
            if kind == .oracle { continue }
            let speed = kind.stats.speed
            var moves = speed / 12
            if rng.below(12) < speed % 12 { moves += 1 }
            for _ in 0..<moves {
                guard level.monsters[slot].alive, !isDead else { break }
                monsterAct(slot)
            }
        }
    }

    mutating func monsterAct(_ slot: Int) {
        let monster = level.monsters[slot]
        let distance = max(abs(monster.x - x), abs(monster.y - y))
        let name = MonsterKind.nameBytes[Int(monster.kind.rawValue)]
        if monster.asleep {
            if distance <= 1 || (distance < 8 && canSee(level.index(monster.x, monster.y)) && rng.oneIn(3)) {
                level.monsters[slot].asleep = false
                if canSee(level.index(monster.x, monster.y)) && rng.oneIn(2) { line.say(.monsterWakes, name) }
            }
            return
        }
        if monster.tame { return petAct(slot, distance: distance) }
        if monster.peaceful {
            if rng.oneIn(3) { wander(slot) }
            return
        }
        if distance == 1 && canStep(fromX: monster.x, fromY: monster.y, toX: x, toY: y, kind: monster.kind) {
            return monsterAttacksPlayer(monster)
        }
        if distance <= 10 && !rng.oneIn(5) {
            if !stepToward(slot, targetX: x, targetY: y) { wander(slot) }
        } else {
            wander(slot)
        }
    }

    mutating func monsterAttacksPlayer(_ monster: Monster) {
        let stats = monster.kind.stats
        let name = MonsterKind.nameBytes[Int(monster.kind.rawValue)]
        guard rng.below(20) < 8 + stats.level else {
            let roll = rng.below(6)
            return line.say(roll == 0 ? .monsterMissesWildly : (roll == 1 ? .monsterJustMisses : .monsterMisses), name)
        }
        switch stats.attack {
        case .bite: line.say(.monsterBites, name)
        case .hit: line.say(.monsterHits, name)
        case .touch: line.say(.monsterTouches, name)
        case .butt: line.say(.monsterButts, name)
        case .sting: line.say(.monsterStings, name)
        }
        damagePlayer(1 + rng.below(stats.damage))
        if !isDead && hitPoints <= 5 && hitPoints * 7 <= maxHitPoints * 2 {
            line.say(.hpLow, number: hitPoints)
        }
    }

    mutating func petAct(_ slot: Int, distance: Int) {
        let pet = level.monsters[slot]
        let petName = MonsterKind.nameBytes[Int(pet.kind.rawValue)]
        // Fight a hostile neighbour now and then.
        for (dx, dy) in Game.neighbourOffsets {
            let nx = pet.x + dx, ny = pet.y + dy
            guard level.inBounds(nx, ny) else { continue }
            let other = Int(level.monsterAt[level.index(nx, ny)])
            guard other >= 0, other != slot else { continue }
            let victim = level.monsters[other]
            guard !victim.peaceful, !victim.tame, rng.oneIn(2) else { continue }
            let victimName = MonsterKind.nameBytes[Int(victim.kind.rawValue)]
            let seen = canSee(level.index(nx, ny))
            if rng.below(20) < 10 + pet.kind.stats.level {
                level.monsters[other].hitPoints -= 1 + rng.below(pet.kind.stats.damage)
                level.monsters[other].asleep = false
                if level.monsters[other].hitPoints <= 0 {
                    if seen { line.say(.petKills, petName, victimName) }
                    killMonster(other)
                } else if seen {
                    line.say(.petBites, petName, victimName)
                }
            } else if seen {
                line.say(.petMisses, petName, victimName)
            }
            return
        }
        // Eat a corpse underfoot.
        let here = level.index(pet.x, pet.y)
        if level.topObject[here] >= Glyph.corpseBase && level.topObject[here] < Glyph.monsterBase && rng.oneIn(3) {
            if let index = level.objects.lastIndex(where: { $0.x == pet.x && $0.y == pet.y && $0.kind == .corpse }) {
                let corpseName = MonsterKind.nameBytes[level.objects[index].quantity]
                level.removeObject(at: index)
                refreshMemoryIfSeen(here)
                if canSee(here) { line.say(.petEatsCorpse, petName, corpseName) }
                return
            }
        }
        if distance > 2 {
            if !stepToward(slot, targetX: x, targetY: y) { wander(slot) }
        } else if rng.oneIn(2) {
            wander(slot)
        }
    }

    /// Whether a monster may step between two neighbouring squares (doors, diagonals, occupancy).
    @inline(__always)
    func canStep(fromX: Int, fromY: Int, toX: Int, toY: Int, kind: MonsterKind) -> Bool {
        let from = level.index(fromX, fromY), to = level.index(toX, toY)
        guard level.tiles[to].isWalkable else { return false }
        if fromX != toX && fromY != toY {
            if kind == .gridBug { return false }
            if level.tiles[from].blocksDiagonal || level.tiles[to].blocksDiagonal { return false }
        }
        return true
    }

    mutating func stepToward(_ slot: Int, targetX: Int, targetY: Int) -> Bool {
        let m = level.monsters[slot]
        var bestX = -1, bestY = -1
        var bestDistance = (m.x - targetX) * (m.x - targetX) + (m.y - targetY) * (m.y - targetY)
        for (dx, dy) in Game.neighbourOffsets {
            let nx = m.x + dx, ny = m.y + dy
            guard level.inBounds(nx, ny), !(nx == x && ny == y) else { continue }
            guard level.monsterAt[level.index(nx, ny)] < 0,
                  canStep(fromX: m.x, fromY: m.y, toX: nx, toY: ny, kind: m.kind) else { continue }
            let d = (nx - targetX) * (nx - targetX) + (ny - targetY) * (ny - targetY)
            if d < bestDistance {
                bestDistance = d
                bestX = nx
                bestY = ny
            }
        }
        guard bestX >= 0 else { return false }
        level.moveMonster(slot, toX: bestX, y: bestY)
        return true
    }

    mutating func wander(_ slot: Int) {
        let m = level.monsters[slot]
        let (dx, dy) = Game.neighbourOffsets[rng.below(8)]
        let nx = m.x + dx, ny = m.y + dy
        guard level.inBounds(nx, ny), !(nx == x && ny == y), level.monsterAt[level.index(nx, ny)] < 0,
              canStep(fromX: m.x, fromY: m.y, toX: nx, toY: ny, kind: m.kind) else { return }
        level.moveMonster(slot, toX: nx, y: ny)
    }
}
