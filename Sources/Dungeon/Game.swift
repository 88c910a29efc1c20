/// One game of the Dungeon: the current level, the player, and the message line of the last step.
///
/// A value type stepped in place; all storage is allocated at init and reused by `reset(seed:)`.
/// The same seed and actions give the same game, bit for bit.
public struct Game: Sendable {
    public let configuration: GameConfiguration
    var rng = SplitMix64(seed: 0)
    /// The level the player is on.
    var level: Level
    /// Levels by depth - 1; the slot of the current depth holds the swapped-out spare.
    var storedLevels: [Level]
    var generated: [Bool]

    public internal(set) var depth = 1
    public internal(set) var deepest = 1
    public internal(set) var x = 0
    public internal(set) var y = 0
    /// Direction of the last move attempt; door actions and kicks act on that square.
    var facingX = 0, facingY = -1
    public internal(set) var hitPoints = 16
    public internal(set) var maxHitPoints = 16
    public internal(set) var experienceLevel = 1
    public internal(set) var experiencePoints = 0
    public internal(set) var gold = 0
    public internal(set) var nutrition = 900
    public internal(set) var turn = 1
    /// Counts per `ItemKind` raw value.
    var inventory: [Int32]
    var prayerTimeout = 300
    var sleepTurns = 0
    public internal(set) var isDead = false
    /// The player stood next to the Oracle at the end of the last step.
    public internal(set) var besideOracle = false
    var hasMetOracle = false
    /// Room whose walls the player last saw from inside (lit rooms), or -1.
    var roomInView = -1
    var line: MessageLine

    public init(configuration: GameConfiguration = GameConfiguration(), seed: UInt64) {
        self.configuration = configuration
        level = Level(width: configuration.columns, height: configuration.rows)
        storedLevels = (0..<configuration.bottomDepth).map { _ in
            Level(width: configuration.columns, height: configuration.rows)
        }
        generated = [Bool](repeating: false, count: configuration.bottomDepth)
        inventory = [Int32](repeating: 0, count: ItemKind.allCases.count)
        line = MessageLine(capacity: configuration.captionBytes)
        reset(seed: seed)
    }

    // MARK: Public state

    /// The message line of the last step (empty when nothing happened worth saying).
    public var caption: String { line.text }
    /// Caption bytes (UTF-8) of the last step and their count.
    var captionBytes: [UInt8] { line.bytes }
    var captionLength: Int { line.length }

    /// NetHack-like score: gold + 4 x experience points + 50 x (deepest level - 1).
    public var score: Int { gold + 4 * experiencePoints + 50 * (deepest - 1) }

    public func count(of item: ItemKind) -> Int { Int(inventory[Int(item.rawValue)]) }

    // MARK: Reset

    public mutating func reset(seed: UInt64) {
        rng = SplitMix64(seed: seed)
        for i in generated.indices { generated[i] = false }
        depth = 1
        deepest = 1
        generateCurrentLevel()
        generated[0] = true
        x = level.upStairs % level.width
        y = level.upStairs / level.width
        facingX = 0
        facingY = -1
        hitPoints = 16
        maxHitPoints = 16
        experienceLevel = 1
        experiencePoints = 0
        gold = 0
        nutrition = 900
        turn = 1
        for i in inventory.indices { inventory[i] = 0 }
        inventory[Int(ItemKind.foodRation.rawValue)] = 1
        prayerTimeout = 300
        sleepTurns = 0
        isDead = false
        besideOracle = false
        hasMetOracle = false
        roomInView = -1
        line.clear()
        placePet(kind: rng.oneIn(2) ? .kitten : .littleDog, hitPoints: rng.dice(2, 8))
        level.visited = true
        line.say(configuration.keyRoom ? .welcomeKeyRoom : .welcome)
        markRoomEntered()
        updateVision()
    }

    private mutating func generateCurrentLevel() {
        let options = LevelGenerator.Options(
            depth: depth, hasDownStairs: depth < configuration.bottomDepth,
            oracle: depth == configuration.oracleDepth, keyRoom: configuration.keyRoom && depth == 1)
        LevelGenerator.generate(into: &level, options: options, rng: &rng)
    }

    /// Puts the player on a square and refreshes what they see (for tests and scenario set-up).
    mutating func teleport(x: Int, y: Int) {
        self.x = x
        self.y = y
        roomInView = -1
        updateVision()
    }

    // MARK: Step

    /// Performs one action and the world's reply; the caption of this step is in `caption`.
    public mutating func step(_ action: Action) {
        line.clear()
        guard !isDead else { return }
        if action == .look {
            look()
            checkOracle()
            return
        }
        if sleepTurns > 0 {
            sleepTurns -= 1
            if sleepTurns == 0 { line.say(.wakeUp) } else if rng.oneIn(4) { line.say(.youAreStillAsleep) }
        } else {
            perform(action)
        }
        if !isDead { worldTurn() }
        updateVision()
        checkOracle()
    }

    private mutating func perform(_ action: Action) {
        if let (dx, dy) = action.direction {
            move(dx: dx, dy: dy)
            return
        }
        switch action {
        case .wait: break
        case .search: search()
        case .pickUp: pickUp()
        case .down: goDown()
        case .up: goUp()
        case .open: openDoor()
        case .close: closeDoor()
        case .kick: kick()
        case .eat: eat()
        case .quaff: quaff()
        case .apply: applyKey()
        case .pray: pray()
        default: break
        }
    }

    // MARK: Moving

    private mutating func move(dx: Int, dy: Int) {
        facingX = dx
        facingY = dy
        let nx = x + dx, ny = y + dy
        guard level.inBounds(nx, ny) else { return line.say(.itsSolidStone) }
        let here = level.index(x, y), there = level.index(nx, ny)
        let diagonal = dx != 0 && dy != 0
        let slot = Int(level.monsterAt[there])
        if slot >= 0 {
            let monster = level.monsters[slot]
            let name = MonsterKind.nameBytes[Int(monster.kind.rawValue)]
            if monster.kind == .oracle { return line.say(.oracleInWay) }
            if monster.tame {
                if diagonal && (level.tiles[here].blocksDiagonal || level.tiles[there].blocksDiagonal) {
                    return line.say(.youStopPetInWay, name)
                }
                level.moveMonster(slot, toX: x, y: y)
                x = nx
                y = ny
                line.say(.youSwapPlaces, name)
                describeArrival()
                return
            }
            if monster.peaceful { return line.say(.peacefulInWay, name) }
            return attack(slot, kicking: false)
        }
        let target = level.tiles[there]
        if diagonal && level.tiles[here].blocksDiagonal { return line.say(.diagonalOutOfDoorway) }
        if diagonal && target.blocksDiagonal { return line.say(.diagonalIntoDoorway) }
        switch target {
        case .closedDoor:
            if rng.oneIn(4) {
                line.say(.doorIsStuck)
            } else {
                level.tiles[there] = .openDoor
                line.say(.doorOpens)
            }
        case .lockedDoor: line.say(.doorIsLocked)
        case .stone, .hiddenCorridor: line.say(.itsSolidStone)
        case .verticalWall, .horizontalWall, .topLeftCorner, .topRightCorner, .bottomLeftCorner,
             .bottomRightCorner, .hiddenDoor:
            line.say(.itsAWall)
        default:
            x = nx
            y = ny
            describeArrival()
        }
    }

    /// Messages on stepping onto a square: objects, stairs, fountains, first entry into a room.
    private mutating func describeArrival() {
        let i = level.index(x, y)
        if let room = markRoomEntered() {
            if room == level.oracleRoom {
                line.say(.enterOracleRoom)
                line.say(.oracleCentaur)
            } else {
                // Every first entry is announced, so exploring leaves a trace in the captions.
                line.say(level.rooms[room].lit ? .enterLitRoom : .enterDarkRoom)
            }
        }
        if level.topObject[i] >= 0 { describeObjects() }
        switch level.tiles[i] {
        case .downStairs: line.say(.stairsDownHere)
        case .upStairs: line.say(.stairsUpHere)
        case .fountain: line.say(.fountainHere)
        default: break
        }
    }

    /// Marks the room under the player as entered; returns it when this is the first entry.
    /// Doorways belong to no room, so standing in one enters nothing.
    @discardableResult
    private mutating func markRoomEntered() -> Int? {
        let i = level.index(x, y)
        let room = Int(level.roomOf[i])
        guard room >= 0 && room < 64 && level.tiles[i] != .doorway && !level.tiles[i].isDoor else { return nil }
        let bit = UInt64(1) << UInt64(room)
        guard level.roomsEntered & bit == 0 else { return nil }
        level.roomsEntered |= bit
        return room
    }

    private mutating func describeObjects() {
        let count = level.objectCount(x: x, y: y)
        if count == 0 { return }
        if count > 1 { return line.say(.severalObjectsHere) }
        guard let index = level.firstObject(x: x, y: y) else { return }
        let object = level.objects[index]
        switch object.kind {
        case .gold: line.say(.seeHereGold, number: object.quantity)
        case .corpse:
            line.say(.seeHereOne, MonsterKind.corpsePhrases[object.quantity])
        default:
            if object.quantity == 1 {
                line.say(.seeHereOne, ItemKind.singularBytes[Int(object.kind.rawValue)])
            } else {
                line.say(.seeHereMany, ItemKind.pluralBytes[Int(object.kind.rawValue)], number: object.quantity)
            }
        }
    }

    private mutating func look() {
        let i = level.index(x, y)
        if level.topObject[i] >= 0 { return describeObjects() }
        switch level.tiles[i] {
        case .downStairs: line.say(.stairsDownHere)
        case .upStairs: line.say(.stairsUpHere)
        case .fountain: line.say(.fountainHere)
        case .brokenDoor: line.say(.brokenDoorHere)
        case .doorway, .openDoor: line.say(.doorwayHere)
        case .corridor: line.say(.corridorHere)
        default: line.say(level.isLit(i) ? .seeNoObjects : .floorHereDark)
        }
    }

    // MARK: Fighting

    /// The player attacks the monster in `slot` with a weapon or a kick.
    private mutating func attack(_ slot: Int, kicking: Bool) {
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

    private mutating func killMonster(_ slot: Int) {
        let monster = level.monsters[slot]
        level.removeMonster(slot)
        if rng.oneIn(2) {
            level.addObject(FloorObject(kind: .corpse, x: monster.x, y: monster.y, quantity: Int(monster.kind.rawValue)))
            refreshMemoryIfSeen(level.index(monster.x, monster.y))
        }
    }

    private mutating func gainExperience(_ points: Int) {
        experiencePoints += points
        while experienceLevel < 30 && experiencePoints >= 20 << (experienceLevel - 1) {
            experienceLevel += 1
            let gain = 1 + rng.below(8)
            maxHitPoints += gain
            hitPoints += gain
            line.say(.welcomeLevel, number: experienceLevel)
        }
    }

    private mutating func damagePlayer(_ amount: Int) {
        hitPoints -= amount
        if hitPoints <= 0 {
            hitPoints = 0
            isDead = true
            line.say(.youDie)
        }
    }

    // MARK: Actions

    private mutating func search() {
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

    private mutating func pickUp() {
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

    private mutating func goDown() {
        let i = level.index(x, y)
        guard level.tiles[i] == .downStairs else { return line.say(.cannotGoDown) }
        changeLevel(to: depth + 1)
        line.say(.descend, number: depth)
    }

    private mutating func goUp() {
        let i = level.index(x, y)
        guard level.tiles[i] == .upStairs else { return line.say(.cannotGoUp) }
        guard depth > 1 else { return line.say(.refuseToLeave) }
        changeLevel(to: depth - 1)
        line.say(.ascend, number: depth)
    }

    /// Moves the player (and an adjacent pet) to another level, generating it on first visit.
    private mutating func changeLevel(to newDepth: Int) {
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

    private mutating func placePet(kind: MonsterKind, hitPoints: Int) {
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

    private mutating func openDoor() {
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

    private mutating func closeDoor() {
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

    private mutating func kick() {
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

    private mutating func applyKey() {
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

    private mutating func eat() {
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

    private mutating func quaff() {
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

    private mutating func heal(_ amount: Int, raiseMaximumBy raise: Int) {
        hitPoints += amount
        if hitPoints > maxHitPoints {
            maxHitPoints += raise
            hitPoints = maxHitPoints
        }
    }

    private mutating func quaffFromFountain(_ i: Int) {
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

    private mutating func pray() {
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

    // MARK: The world's turn

    private mutating func worldTurn() {
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

    private mutating func updateHunger() {
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

    private mutating func spawnWanderer() {
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

    private mutating func atmosphere() {
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

    private mutating func moveMonsters() {
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

    private mutating func monsterAct(_ slot: Int) {
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

    private mutating func monsterAttacksPlayer(_ monster: Monster) {
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

    private mutating func petAct(_ slot: Int, distance: Int) {
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
    private func canStep(fromX: Int, fromY: Int, toX: Int, toY: Int, kind: MonsterKind) -> Bool {
        let from = level.index(fromX, fromY), to = level.index(toX, toY)
        guard level.tiles[to].isWalkable else { return false }
        if fromX != toX && fromY != toY {
            if kind == .gridBug { return false }
            if level.tiles[from].blocksDiagonal || level.tiles[to].blocksDiagonal { return false }
        }
        return true
    }

    private mutating func stepToward(_ slot: Int, targetX: Int, targetY: Int) -> Bool {
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

    private mutating func wander(_ slot: Int) {
        let m = level.monsters[slot]
        let (dx, dy) = Game.neighbourOffsets[rng.below(8)]
        let nx = m.x + dx, ny = m.y + dy
        guard level.inBounds(nx, ny), !(nx == x && ny == y), level.monsterAt[level.index(nx, ny)] < 0,
              canStep(fromX: m.x, fromY: m.y, toX: nx, toY: ny, kind: m.kind) else { return }
        level.moveMonster(slot, toX: nx, y: ny)
    }

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

    private mutating func refreshMemoryIfSeen(_ i: Int) {
        if canSee(i) { level.memory[i] = level.rememberedGlyph(i) }
    }

    /// Updates what the player remembers: the lit room they stand in (on entry) and their neighbours.
    private mutating func updateVision() {
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

    private mutating func checkOracle() {
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

    /// FNV-1a hash of the current caption.
    var captionHash: UInt64 { line.hash }
}

extension MonsterKind {
    /// "a jackal corpse" phrases, for messages about corpses on the floor.
    static let corpsePhrases: [[UInt8]] = allCases.map { kind in
        let name = kind.stats.name
        let article = "aeiouAEIOU".contains(name.first!) ? "an " : "a "
        return Array((article + name + " corpse").utf8)
    }
}
