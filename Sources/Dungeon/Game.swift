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

    mutating func generateCurrentLevel() {
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

    mutating func perform(_ action: Action) {
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

    mutating func move(dx: Int, dy: Int) {
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
    mutating func describeArrival() {
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
    mutating func markRoomEntered() -> Int? {
        let i = level.index(x, y)
        let room = Int(level.roomOf[i])
        guard room >= 0 && room < 64 && level.tiles[i] != .doorway && !level.tiles[i].isDoor else { return nil }
        let bit = UInt64(1) << UInt64(room)
        guard level.roomsEntered & bit == 0 else { return nil }
        level.roomsEntered |= bit
        return room
    }

    mutating func describeObjects() {
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

    mutating func look() {
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
}
