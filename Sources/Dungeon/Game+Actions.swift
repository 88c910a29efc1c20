// The player's actions other than moving: fighting, searching, picking up, stairs, doors, items, prayer.
extension Game {
    // MARK: Fighting

    /// The player attacks the monster in `slot` with a weapon or a kick.
    mutating func attack(_ slot: Int, kicking: Bool) {
        var monster = level.monsters[slot]
        let name = MonsterKind.nameBytes[Int(monster.kind.rawValue)]
        monster.asleep = false
        monster.peaceful = false
        let hits = rng.below(20) < 10 + experienceLevel - (kicking ? 3 : 0)
        guard hits else {
            level.monsters[slot] = monster
            return line.say(kicking ? .kickMonsterMiss : .youMiss, name)
        }
        let damage = kicking ? 1 + rng.below(4) : 2 + rng.below(8)
        monster.hitPoints -= damage
        level.monsters[slot] = monster
        if monster.hitPoints <= 0 {
            line.say(monster.kind == .lichen ? .youDestroy : .youKill, name)
            killMonster(slot)
            gainExperience(1 + monster.kind.stats.level * monster.kind.stats.level + 4 * monster.kind.stats.level)
        } else if kicking {
            line.say(.kickMonster, name)
        } else {
            line.say(damage >= 8 ? .youHitHard : (damage == 2 ? .youSmite : .youHit), name)
        }
    }

    mutating func killMonster(_ slot: Int) {
        let monster = level.monsters[slot]
        level.removeMonster(slot)
        if rng.oneIn(2) {
            level.addObject(FloorObject(kind: .corpse, x: monster.x, y: monster.y, quantity: Int(monster.kind.rawValue)))
            refreshMemoryIfSeen(level.index(monster.x, monster.y))
        }
    }

    mutating func gainExperience(_ points: Int) {
        experiencePoints += points
        while experienceLevel < 30 && experiencePoints >= 20 << (experienceLevel - 1) {
            experienceLevel += 1
            let gain = 1 + rng.below(8)
            maxHitPoints += gain
            hitPoints += gain
            line.say(.welcomeLevel, number: experienceLevel)
        }
    }

    mutating func damagePlayer(_ amount: Int) {
        hitPoints -= amount
        if hitPoints <= 0 {
            hitPoints = 0
            isDead = true
            line.say(.youDie)
        }
    }

    // MARK: Actions

    mutating func search() {
        var found = false
        for dy in -1...1 {
            for dx in -1...1 where dx != 0 || dy != 0 {
                let nx = x + dx, ny = y + dy
                guard level.inBounds(nx, ny) else { continue }
                let i = level.index(nx, ny)
                switch level.tiles[i] {
                case .hiddenDoor where rng.oneIn(3):
                    level.tiles[i] = .closedDoor
                    level.memory[i] = level.rememberedGlyph(i)
                    line.say(.findHiddenDoor)
                    found = true
                case .hiddenCorridor where rng.oneIn(3):
                    level.tiles[i] = .corridor
                    level.memory[i] = level.rememberedGlyph(i)
                    line.say(.findHiddenPassage)
                    found = true
                default: break
                }
            }
        }
        if !found && rng.oneIn(40) { line.say(.findNothingSpecial) }
    }

    mutating func pickUp() {
        var index = 0
        var pickedAny = false
        var sawCorpse = -1
        while index < level.objects.count {
            let object = level.objects[index]
            guard object.x == x && object.y == y else {
                index += 1
                continue
            }
            switch object.kind {
            case .corpse:
                sawCorpse = object.quantity
                index += 1
                continue
            case .gold:
                gold += object.quantity
                line.say(.pickUpGold, number: object.quantity)
            default:
                inventory[Int(object.kind.rawValue)] += Int32(object.quantity)
                let letter = object.kind.letter
                if object.quantity == 1 {
                    line.say(.pickUpOne, ItemKind.singularBytes[Int(object.kind.rawValue)], letter: letter)
                } else {
                    line.say(.pickUpMany, ItemKind.pluralBytes[Int(object.kind.rawValue)], number: object.quantity,
                             letter: letter)
                }
            }
            level.removeObject(at: index)
            pickedAny = true
        }
        if sawCorpse >= 0 && !pickedAny {
            line.say(.cannotLiftCorpse, MonsterKind.nameBytes[sawCorpse])
        } else if !pickedAny {
            line.say(.nothingToPickUp)
        }
        level.memory[level.index(x, y)] = level.rememberedGlyph(level.index(x, y))
    }

    mutating func goDown() {
        let i = level.index(x, y)
        guard level.tiles[i] == .downStairs else { return line.say(.cannotGoDown) }
        changeLevel(to: depth + 1)
        line.say(.descend, number: depth)
    }

    mutating func goUp() {
        let i = level.index(x, y)
        guard level.tiles[i] == .upStairs else { return line.say(.cannotGoUp) }
        guard depth > 1 else { return line.say(.refuseToLeave) }
        changeLevel(to: depth - 1)
        line.say(.ascend, number: depth)
    }

    /// Moves the player (and an adjacent pet) to another level, generating it on first visit.
    mutating func changeLevel(to newDepth: Int) {
        var pet: Monster?
        for slot in level.monsters.indices where level.monsters[slot].alive && level.monsters[slot].tame {
            let m = level.monsters[slot]
            if abs(m.x - x) <= 1 && abs(m.y - y) <= 1 {
                pet = m
                level.removeMonster(slot)
            }
        }
        let goingDown = newDepth > depth
        swap(&level, &storedLevels[depth - 1])
        swap(&level, &storedLevels[newDepth - 1])
        depth = newDepth
        if !generated[newDepth - 1] {
            generateCurrentLevel()
            generated[newDepth - 1] = true
        }
        let arrival = goingDown ? level.upStairs : level.downStairs
        x = arrival % level.width
        y = arrival / level.width
        roomInView = -1
        markRoomEntered()
        if depth > deepest { deepest = depth }
        if let pet {
            placePet(kind: pet.kind, hitPoints: pet.hitPoints)
        }
        if !level.visited {
            level.visited = true
            if depth == configuration.oracleDepth {
                line.say(Message.oracleSounds[rng.below(Message.oracleSounds.count)])
            }
        }
    }

    mutating func placePet(kind: MonsterKind, hitPoints: Int) {
        for (dx, dy) in Game.neighbourOffsets {
            let nx = x + dx, ny = y + dy
            guard level.inBounds(nx, ny) else { continue }
            let i = level.index(nx, ny)
            if level.tiles[i].isWalkable && level.monsterAt[i] < 0 && !level.tiles[i].blocksDiagonal {
                level.addMonster(Monster(kind: kind, x: nx, y: ny, hitPoints: hitPoints, asleep: false,
                                         peaceful: true, tame: true, alive: true))
                return
            }
        }
    }

    private var facedSquare: Int? {
        let nx = x + facingX, ny = y + facingY
        return level.inBounds(nx, ny) ? level.index(nx, ny) : nil
    }

    mutating func openDoor() {
        guard let i = facedSquare else { return line.say(.noDoorThere) }
        switch level.tiles[i] {
        case .closedDoor:
            if rng.oneIn(5) { return line.say(.doorIsStuck) }
            level.tiles[i] = .openDoor
            level.memory[i] = Glyph.openDoor
            line.say(.doorOpens)
        case .lockedDoor: line.say(.doorIsLocked)
        case .openDoor: line.say(.doorAlreadyOpen)
        case .brokenDoor: line.say(.doorIsBroken)
        default: line.say(.noDoorThere)
        }
    }

    mutating func closeDoor() {
        guard let i = facedSquare else { return line.say(.noDoorToClose) }
        switch level.tiles[i] {
        case .openDoor:
            if level.monsterAt[i] >= 0 || level.topObject[i] >= 0 { return line.say(.somethingInTheWay) }
            level.tiles[i] = .closedDoor
            level.memory[i] = Glyph.closedDoor
            line.say(.doorCloses)
        case .closedDoor, .lockedDoor: line.say(.doorAlreadyClosed)
        case .brokenDoor: line.say(.cannotCloseBroken)
        default: line.say(.noDoorToClose)
        }
    }

    mutating func kick() {
        guard let i = facedSquare else { return line.say(.kickEmptySpace) }
        let slot = Int(level.monsterAt[i])
        if slot >= 0 {
            let monster = level.monsters[slot]
            if monster.peaceful || monster.tame || monster.kind == .oracle {
                return line.say(.kickPeaceful, MonsterKind.nameBytes[Int(monster.kind.rawValue)])
            }
            return attack(slot, kicking: true)
        }
        switch level.tiles[i] {
        case .closedDoor, .lockedDoor:
            if Int(level.roomOf[i]) == level.lockedRoom && level.lockedRoom >= 0 {
                line.say(.doorResists)
            } else if rng.oneIn(3) {
                let shatters = rng.oneIn(3)
                level.tiles[i] = shatters ? .doorway : .brokenDoor
                level.memory[i] = shatters ? Glyph.doorway : Glyph.brokenDoor
                line.say(shatters ? .kickDoorShatters : .kickDoorCrashesOpen)
            } else {
                line.say(.whamm)
            }
        case .verticalWall, .horizontalWall, .topLeftCorner, .topRightCorner, .bottomLeftCorner,
             .bottomRightCorner, .hiddenDoor:
            line.say(.kickWallOuch)
            if rng.oneIn(3) { damagePlayer(1) }
        case .stone, .hiddenCorridor:
            line.say(.kickStone)
            if rng.oneIn(3) { damagePlayer(1) }
        case .fountain:
            line.say(.kickFountain)
            damagePlayer(1)
        case .upStairs, .downStairs: line.say(.kickStairs)
        default: line.say(.kickEmptySpace)
        }
    }

    mutating func applyKey() {
        guard inventory[Int(ItemKind.key.rawValue)] > 0 else { return line.say(.nothingToApply) }
        guard let i = facedSquare else { return line.say(.applyNoDoor) }
        switch level.tiles[i] {
        case .lockedDoor:
            level.tiles[i] = .closedDoor
            line.say(.unlockDoor)
        case .closedDoor:
            level.tiles[i] = .lockedDoor
            line.say(.lockDoor)
        case .openDoor: line.say(.keyDoesNotFit)
        case .brokenDoor, .doorway: line.say(.noLockThere)
        default: line.say(.applyNoDoor)
        }
    }

    mutating func eat() {
        guard let food = Game.eatingOrder.first(where: { inventory[Int($0.rawValue)] > 0 }) else {
            return line.say(.nothingToEat)
        }
        inventory[Int(food.rawValue)] -= 1
        let wasHungry = nutrition < 150
        if nutrition > 1500 { line.say(.choking) }
        nutrition += food.nutrition
        switch food {
        case .foodRation:
            line.say(rng.oneIn(2) ? .rationDelicious : .rationBland)
            line.say(.finishEating, ItemKind.bareNameBytes[Int(ItemKind.foodRation.rawValue)])
        case .apple: line.say(rng.oneIn(2) ? .appleCrisp : .appleJuicy)
        case .carrot: line.say(.carrotEyes)
        default:
            line.say(.cookieFortune)
            line.say(Message.fortunes[rng.below(Message.fortunes.count)])
        }
        if wasHungry && nutrition >= 150 { line.say(.notHungryAnymore) }
    }

    mutating func quaff() {
        let i = level.index(x, y)
        if level.tiles[i] == .fountain { return quaffFromFountain(i) }
        guard let potion = Game.drinkingOrder.first(where: { inventory[Int($0.rawValue)] > 0 }) else {
            return line.say(.nothingToDrink)
        }
        inventory[Int(potion.rawValue)] -= 1
        switch potion {
        case .potionOfHealing:
            heal(rng.dice(6, 4), raiseMaximumBy: 1)
            line.say(.feelBetter)
        case .potionOfExtraHealing:
            heal(rng.dice(6, 8), raiseMaximumBy: 2)
            line.say(.feelMuchBetter)
        case .potionOfWater: line.say(.thisWaterTastes)
        case .potionOfBooze:
            line.say(.boozeFire)
            if rng.oneIn(2) { line.say(.boozeDizzy) }
            nutrition += 10
        case .potionOfFruitJuice:
            line.say(.fruitJuiceTaste)
            nutrition += 20
        default:
            line.say(.fallAsleep)
            sleepTurns = 2 + rng.below(4)
        }
    }

    mutating func heal(_ amount: Int, raiseMaximumBy raise: Int) {
        hitPoints += amount
        if hitPoints > maxHitPoints {
            maxHitPoints += raise
            hitPoints = maxHitPoints
        }
    }

    mutating func quaffFromFountain(_ i: Int) {
        let message = Message.fountainQuaffs[rng.below(Message.fountainQuaffs.count)]
        line.say(message)
        switch message {
        case .fountainContaminated: damagePlayer(1 + rng.below(3))
        case .fountainCool: nutrition += 10
        default: break
        }
        if rng.oneIn(8) {
            level.tiles[i] = .floor
            level.fountainCount -= 1
            level.memory[i] = level.rememberedGlyph(i)
            line.say(.fountainDriesUp)
        }
    }

    mutating func pray() {
        line.say(.beginPraying)
        if prayerTimeout < 100 && hitPoints < max(6, maxHitPoints / 7) {
            hitPoints = maxHitPoints
            prayerTimeout = 300 + rng.below(200)
            line.say(.feelMuchBetterPrayer)
        } else if prayerTimeout < 100 {
            prayerTimeout += 50 + rng.below(100)
            line.say(.feelHopeful)
        } else if prayerTimeout > 1000 {
            // An angry god punishes but, unlike NetHack's lightning, never kills a random agent outright.
            prayerTimeout += 20
            line.say(.godIsAngry)
            if hitPoints > 2 { hitPoints -= 1 }
        } else {
            prayerTimeout += 50
            line.say(rng.oneIn(2) ? .feelGodDispleased : .feelSmallFear)
        }
    }
}
