/// Builds levels in NetHack's manner: non-overlapping rectangular rooms, sorted left to right,
/// joined neighbour to neighbour by corridors dug through rock, with doors in various states,
/// a staircase up and one down, fountains, objects and sleeping or wandering monsters.
enum LevelGenerator {
    /// What to place beyond the ordinary contents.
    struct Options {
        var depth: Int
        /// Whether a down staircase exists (false on the bottom level).
        var hasDownStairs: Bool
        /// Put the Oracle on this level.
        var oracle: Bool
        /// Make this a key-room level: the down staircase sits in a room with locked, unkickable doors.
        var keyRoom: Bool
    }

    /// Fills `level` (cleared first). Retries with the same generator until the level is connected,
    /// so the result depends only on the generator's state.
    static func generate(into level: inout Level, options: Options, rng: inout SplitMix64) {
        for _ in 0..<200 {
            level.clear(depth: options.depth)
            if attempt(&level, options: options, rng: &rng) { return }
        }
        // A map too small for several rooms: one room with both staircases.
        level.clear(depth: options.depth)
        let room = Room(lowX: 1, lowY: 1, highX: level.width - 2, highY: level.height - 2, lit: true)
        level.rooms.append(room)
        carveRoom(&level, room)
        level.upStairs = level.index(1, 1)
        level.tiles[level.upStairs] = .upStairs
        if options.hasDownStairs {
            level.downStairs = level.index(level.width - 2, level.height - 2)
            level.tiles[level.downStairs] = .downStairs
        }
    }

    private static func attempt(_ level: inout Level, options: Options, rng: inout SplitMix64) -> Bool {
        placeRooms(&level, depth: options.depth, rng: &rng)
        let minimumRooms = (options.keyRoom || options.oracle) ? 3 : 2
        guard level.rooms.count >= minimumRooms else { return false }
        for room in level.rooms { carveRoom(&level, room) }
        joinRooms(&level, depth: options.depth, rng: &rng)

        // Special rooms first, so stairs and objects avoid them where needed.
        let roomCount = level.rooms.count
        var stairsRoom = rng.below(roomCount)
        if options.oracle {
            let oracleRoom = largestRoom(level)
            guard placeOracle(&level, room: oracleRoom) else { return false }
            if stairsRoom == oracleRoom { stairsRoom = (stairsRoom + 1) % roomCount }
        }
        var upRoom = rng.below(roomCount - 1)
        if upRoom >= stairsRoom { upRoom += 1 }
        if options.oracle && upRoom == level.oracleRoom {
            upRoom = (0..<roomCount).first { $0 != stairsRoom && $0 != level.oracleRoom } ?? upRoom
        }
        level.upStairs = randomFreeFloor(level, room: upRoom, rng: &rng)
        level.tiles[level.upStairs] = .upStairs
        if options.hasDownStairs {
            level.downStairs = randomFreeFloor(level, room: stairsRoom, rng: &rng)
            level.tiles[level.downStairs] = .downStairs
        }
        if options.keyRoom {
            lockRoom(&level, room: stairsRoom)
            // The key lies in another room than the staircase's, reachable from the start.
            var keyRoom = rng.below(roomCount - 1)
            if keyRoom >= stairsRoom { keyRoom += 1 }
            let square = randomFreeFloor(level, room: keyRoom, rng: &rng)
            level.addObject(FloorObject(kind: .key, x: square % level.width, y: square / level.width, quantity: 1))
        }
        guard level.isConnected() else { return false }
        if options.keyRoom {
            // The key must be reachable without passing the locked doors (the staircase room must
            // not cut the level in two).
            level.markReachable(avoidingLockedRoom: true)
            guard let key = level.objects.first(where: { $0.kind == .key }),
                  level.reached[level.index(key.x, key.y)] else { return false }
        }

        placeFountains(&level, rng: &rng)
        placeObjects(&level, depth: options.depth, rng: &rng)
        placeMonsters(&level, depth: options.depth, rng: &rng)
        return true
    }

    // MARK: Rooms

    private static func placeRooms(_ level: inout Level, depth: Int, rng: inout SplitMix64) {
        let maxRooms = max(2, min(9, (level.width * level.height) / 150))
        for _ in 0..<80 where level.rooms.count < maxRooms {
            let width = 2 + rng.below(min(12, max(1, level.width / 5)))
            let height = 2 + rng.below(min(4, max(1, level.height / 5)))
            // Interior bounds, keeping walls off the map edge.
            guard level.width - width - 3 > 1, level.height - height - 3 > 1 else { continue }
            let lowX = 2 + rng.below(level.width - width - 3)
            let lowY = 2 + rng.below(level.height - height - 3)
            let room = Room(lowX: lowX, lowY: lowY, highX: lowX + width - 1, highY: lowY + height - 1,
                            lit: rng.below(1 + depth) < 11 && !rng.oneIn(6))
            // Keep two squares of rock between rooms' walls so corridors can pass.
            let overlaps = level.rooms.contains { other in
                room.lowX - 4 <= other.highX && other.lowX - 4 <= room.highX
                    && room.lowY - 4 <= other.highY && other.lowY - 4 <= room.highY
            }
            if !overlaps { level.rooms.append(room) }
        }
        level.rooms.sort { $0.lowX < $1.lowX }
    }

    static func carveRoom(_ level: inout Level, _ room: Room) {
        let roomIndex = Int8(level.rooms.firstIndex { $0.lowX == room.lowX && $0.lowY == room.lowY } ?? 0)
        for y in (room.lowY - 1)...(room.highY + 1) {
            for x in (room.lowX - 1)...(room.highX + 1) {
                let i = level.index(x, y)
                let tile: Tile
                switch (x - room.lowX + 1, y - room.lowY + 1) {
                case (0, 0): tile = .topLeftCorner
                case (room.highX - room.lowX + 2, 0): tile = .topRightCorner
                case (0, room.highY - room.lowY + 2): tile = .bottomLeftCorner
                case (room.highX - room.lowX + 2, room.highY - room.lowY + 2): tile = .bottomRightCorner
                case (0, _), (room.highX - room.lowX + 2, _): tile = .verticalWall
                case (_, 0), (_, room.highY - room.lowY + 2): tile = .horizontalWall
                default: tile = .floor
                }
                level.tiles[i] = tile
                level.roomOf[i] = roomIndex
            }
        }
    }

    // MARK: Corridors

    private static func joinRooms(_ level: inout Level, depth: Int, rng: inout SplitMix64) {
        let count = level.rooms.count
        for a in 0..<(count - 1) {
            if !join(&level, a, a + 1, depth: depth, rng: &rng), a + 2 < count {
                _ = join(&level, a, a + 2, depth: depth, rng: &rng)
            }
        }
        for a in 0..<max(0, count - 2) where rng.oneIn(2) {
            _ = join(&level, a, a + 2, depth: depth, rng: &rng)
        }
        for _ in 0..<rng.below(3) {
            let a = rng.below(count), b = rng.below(count)
            if a != b { _ = join(&level, a, b, depth: depth, rng: &rng) }
        }
    }

    /// Digs a corridor from a door of room `a` to a door of room `b`, as NetHack's `join()` does.
    private static func join(_ level: inout Level, _ a: Int, _ b: Int, depth: Int, rng: inout SplitMix64) -> Bool {
        let from = level.rooms[a], to = level.rooms[b]
        var doorA: (x: Int, y: Int), doorB: (x: Int, y: Int), step: (dx: Int, dy: Int)
        if to.lowX > from.highX + 1 {
            doorA = (from.highX + 1, from.lowY + rng.below(from.highY - from.lowY + 1))
            doorB = (to.lowX - 1, to.lowY + rng.below(to.highY - to.lowY + 1))
            step = (1, 0)
        } else if to.highY < from.lowY - 1 {
            doorA = (from.lowX + rng.below(from.highX - from.lowX + 1), from.lowY - 1)
            doorB = (to.lowX + rng.below(to.highX - to.lowX + 1), to.highY + 1)
            step = (0, -1)
        } else if to.highX < from.lowX - 1 {
            doorA = (from.lowX - 1, from.lowY + rng.below(from.highY - from.lowY + 1))
            doorB = (to.highX + 1, to.lowY + rng.below(to.highY - to.lowY + 1))
            step = (-1, 0)
        } else {
            doorA = (from.lowX + rng.below(from.highX - from.lowX + 1), from.highY + 1)
            doorB = (to.lowX + rng.below(to.highX - to.lowX + 1), to.lowY - 1)
            step = (0, 1)
        }
        let start = (x: doorA.x + step.dx, y: doorA.y + step.dy)
        let end = (x: doorB.x - step.dx, y: doorB.y - step.dy)
        guard level.inBounds(start.x, start.y), level.inBounds(end.x, end.y) else { return false }

        // Dig greedily towards the end through rock; remember the path to undo a failure.
        level.path.removeAll(keepingCapacity: true)
        var x = start.x, y = start.y
        var steps = 0
        while true {
            let i = level.index(x, y)
            let tile = level.tiles[i]
            guard tile == .stone || tile == .corridor || tile == .hiddenCorridor else {
                undo(&level)
                return false
            }
            if tile == .stone {
                level.tiles[i] = (depth > 2 && rng.oneIn(60)) ? .hiddenCorridor : .corridor
                level.path.append(i)
            }
            if x == end.x && y == end.y { break }
            steps += 1
            if steps > 400 {
                undo(&level)
                return false
            }
            let dx = end.x - x, dy = end.y - y
            let horizontalFirst = abs(dx) > abs(dy) || (abs(dx) == abs(dy) && rng.oneIn(2))
            var moved = false
            for attempt in 0..<4 {
                // Towards the end along the longer axis, then the other axis, then sideways.
                let (cx, cy): (Int, Int)
                switch (attempt, horizontalFirst) {
                case (0, true): (cx, cy) = (dx.signum(), 0)
                case (1, true): (cx, cy) = (0, dy.signum())
                case (2, true): (cx, cy) = (0, 1)
                case (3, true): (cx, cy) = (0, -1)
                case (0, false): (cx, cy) = (0, dy.signum())
                case (1, false): (cx, cy) = (dx.signum(), 0)
                case (2, false): (cx, cy) = (1, 0)
                default: (cx, cy) = (-1, 0)
                }
                if cx == 0 && cy == 0 { continue }
                let nx = x + cx, ny = y + cy
                guard nx >= 1, ny >= 1, nx <= level.width - 2, ny <= level.height - 2 else { continue }
                let t = level.tiles[level.index(nx, ny)]
                if t == .stone || t == .corridor || t == .hiddenCorridor {
                    x = nx
                    y = ny
                    moved = true
                    break
                }
            }
            if !moved {
                undo(&level)
                return false
            }
        }
        placeDoor(&level, doorA.x, doorA.y, depth: depth, rng: &rng)
        placeDoor(&level, doorB.x, doorB.y, depth: depth, rng: &rng)
        return true
    }

    private static func undo(_ level: inout Level) {
        for i in level.path { level.tiles[i] = .stone }
    }

    private static func placeDoor(_ level: inout Level, _ x: Int, _ y: Int, depth: Int, rng: inout SplitMix64) {
        let i = level.index(x, y)
        if level.tiles[i].isDoor { return }
        let roll = rng.below(100)
        var tile: Tile
        switch roll {
        case ..<15: tile = .doorway
        case ..<22: tile = .brokenDoor
        case ..<50: tile = .openDoor
        case ..<82: tile = .closedDoor
        default: tile = .lockedDoor
        }
        if depth > 2 && rng.oneIn(8) { tile = .hiddenDoor }
        level.tiles[i] = tile
    }

    private static func lockRoom(_ level: inout Level, room: Int) {
        level.lockedRoom = room
        let r = level.rooms[room]
        for y in (r.lowY - 1)...(r.highY + 1) {
            for x in (r.lowX - 1)...(r.highX + 1) where level.tiles[level.index(x, y)].isDoor {
                level.tiles[level.index(x, y)] = .lockedDoor
            }
        }
    }

    // MARK: Contents

    private static func largestRoom(_ level: Level) -> Int {
        var best = 0, bestArea = -1
        for (i, r) in level.rooms.enumerated() {
            let area = (r.highX - r.lowX + 1) * (r.highY - r.lowY + 1)
            if area > bestArea { best = i; bestArea = area }
        }
        return best
    }

    private static func placeOracle(_ level: inout Level, room: Int) -> Bool {
        let r = level.rooms[room]
        guard r.highX - r.lowX >= 2, r.highY - r.lowY >= 2 else { return false }
        level.rooms[room].lit = true
        level.oracleRoom = room
        let cx = (r.lowX + r.highX) / 2, cy = (r.lowY + r.highY) / 2
        for (dx, dy) in [(-1, -1), (1, -1), (-1, 1), (1, 1)] {
            level.tiles[level.index(cx + dx, cy + dy)] = .fountain
            level.fountainCount += 1
        }
        level.addMonster(Monster(kind: .oracle, x: cx, y: cy, hitPoints: 999, asleep: false, peaceful: true,
                                 tame: false, alive: true))
        return true
    }

    /// A floor square of a room with nothing on it (falls back to the room's corner square).
    static func randomFreeFloor(_ level: Level, room: Int, rng: inout SplitMix64) -> Int {
        let r = level.rooms[room]
        for _ in 0..<30 {
            let x = r.lowX + rng.below(r.highX - r.lowX + 1)
            let y = r.lowY + rng.below(r.highY - r.lowY + 1)
            let i = level.index(x, y)
            if level.tiles[i] == .floor && level.monsterAt[i] < 0 && level.firstObject(x: x, y: y) == nil {
                return i
            }
        }
        return level.index(r.lowX, r.lowY)
    }

    private static func placeFountains(_ level: inout Level, rng: inout SplitMix64) {
        for room in 0..<level.rooms.count where room != level.oracleRoom && rng.oneIn(10) {
            let i = randomFreeFloor(level, room: room, rng: &rng)
            if level.tiles[i] == .floor {
                level.tiles[i] = .fountain
                level.fountainCount += 1
            }
        }
    }

    private static func placeObjects(_ level: inout Level, depth: Int, rng: inout SplitMix64) {
        for room in 0..<level.rooms.count where room != level.lockedRoom {
            if rng.oneIn(3) {
                let i = randomFreeFloor(level, room: room, rng: &rng)
                let amount = (1 + rng.below(depth + 2)) * (1 + rng.below(30))
                level.addObject(FloorObject(kind: .gold, x: i % level.width, y: i / level.width, quantity: amount))
            }
            if rng.oneIn(3) {
                let i = randomFreeFloor(level, room: room, rng: &rng)
                let kind = randomItems[rng.below(randomItems.count)]
                let quantity = (kind == .apple || kind == .carrot || kind == .fortuneCookie) ? 1 + rng.below(3) : 1
                level.addObject(FloorObject(kind: kind, x: i % level.width, y: i / level.width, quantity: quantity))
            }
        }
    }

    /// Objects that rooms may hold (gold is placed separately).
    private static let randomItems: [ItemKind] = [
        .foodRation, .apple, .fortuneCookie, .carrot, .potionOfHealing, .potionOfExtraHealing, .potionOfWater,
        .potionOfBooze, .potionOfFruitJuice, .potionOfSleeping, .key,
    ]

    private static func placeMonsters(_ level: inout Level, depth: Int, rng: inout SplitMix64) {
        let count = 1 + rng.below(3) + depth / 3
        for _ in 0..<count {
            let room = rng.below(level.rooms.count)
            let i = randomFreeFloor(level, room: room, rng: &rng)
            guard level.tiles[i] == .floor, i != level.upStairs else { continue }
            spawn(&level, at: i, depth: depth, rng: &rng, asleep: rng.oneIn(2))
        }
    }

    /// Creates a random monster suited to the depth at a square.
    static func spawn(_ level: inout Level, at i: Int, depth: Int, rng: inout SplitMix64, asleep: Bool) {
        let kinds = MonsterKind.wandering
        var kind = kinds[rng.below(kinds.count)]
        for _ in 0..<6 where kind.stats.level > (depth + 1) / 2 { kind = kinds[rng.below(kinds.count)] }
        guard kind.stats.level <= (depth + 1) / 2 + 1 else { return }
        let level0 = kind.stats.level
        let hp = level0 == 0 ? 1 + rng.below(4) : rng.dice(level0, 8)
        let peaceful = kind.stats.usuallyPeaceful && !rng.oneIn(5)
        level.addMonster(Monster(kind: kind, x: i % level.width, y: i / level.width, hitPoints: hp,
                                 asleep: asleep, peaceful: peaceful, tame: false, alive: true))
    }
}
