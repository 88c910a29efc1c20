/// A rectangular room; bounds are the floor (interior), inclusive. Walls lie one square outside.
struct Room: Sendable {
    var lowX: Int, lowY: Int, highX: Int, highY: Int
    var lit: Bool

    func contains(x: Int, y: Int) -> Bool { x >= lowX && x <= highX && y >= lowY && y <= highY }
    /// Contains the square, walls and doors included.
    func containsWithWalls(x: Int, y: Int) -> Bool {
        x >= lowX - 1 && x <= highX + 1 && y >= lowY - 1 && y <= highY + 1
    }
}

/// A monster on a level. `alive == false` slots are free for reuse.
struct Monster: Sendable {
    var kind: MonsterKind
    var x: Int, y: Int
    var hitPoints: Int
    var asleep: Bool
    var peaceful: Bool
    var tame: Bool
    var alive: Bool
}

/// An object pile entry on the floor. For corpses `quantity` is the monster kind's raw value.
struct FloorObject: Sendable {
    var kind: ItemKind
    var x: Int, y: Int
    var quantity: Int
}

/// One dungeon level: terrain, what the player remembers of it, its monsters and objects.
///
/// Storage is flat arrays indexed by `y * width + x` and is reused between episodes.
struct Level {
    let width: Int
    let height: Int
    var tiles: [Tile]
    /// Room index of each square (floor, walls and doors), or -1.
    var roomOf: [Int8]
    /// The player's memory of each square as a glyph (terrain and objects).
    var memory: [Int16]
    /// Index into `monsters` of the monster on each square, or -1.
    var monsterAt: [Int16]
    /// Glyph of the top object on each square, or -1 (kept in step with `objects`).
    var topObject: [Int16]
    /// Scratch for `markReachable` (result) and for breadth-first search and corridor digging.
    var reached: [Bool]
    var queue: [Int] = []
    var path: [Int] = []
    /// Rooms the player has entered, as bits (for first-entry messages).
    var roomsEntered: UInt64 = 0
    var rooms: [Room] = []
    var monsters: [Monster] = []
    var objects: [FloorObject] = []
    var upStairs = 0
    /// Square of the down staircase, or -1 on the bottom level.
    var downStairs = -1
    var depth = 1
    var fountainCount = 0
    /// Room whose doors cannot be kicked open (the key room), or -1.
    var lockedRoom = -1
    /// Room of the Oracle, or -1.
    var oracleRoom = -1
    /// Whether the player has stood here before (for first-arrival messages).
    var visited = false

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        let size = width * height
        tiles = [Tile](repeating: .stone, count: size)
        roomOf = [Int8](repeating: -1, count: size)
        memory = [Int16](repeating: Glyph.stone, count: size)
        monsterAt = [Int16](repeating: -1, count: size)
        topObject = [Int16](repeating: -1, count: size)
        reached = [Bool](repeating: false, count: size)
        queue.reserveCapacity(size)
        path.reserveCapacity(size)
    }

    /// Empties the level for regeneration, keeping storage.
    mutating func clear(depth: Int) {
        for i in 0..<tiles.count {
            tiles[i] = .stone
            roomOf[i] = -1
            memory[i] = Glyph.stone
            monsterAt[i] = -1
            topObject[i] = -1
        }
        roomsEntered = 0
        rooms.removeAll(keepingCapacity: true)
        monsters.removeAll(keepingCapacity: true)
        objects.removeAll(keepingCapacity: true)
        upStairs = 0
        downStairs = -1
        self.depth = depth
        fountainCount = 0
        lockedRoom = -1
        oracleRoom = -1
        visited = false
    }

    @inline(__always) func index(_ x: Int, _ y: Int) -> Int { y * width + x }
    @inline(__always) func inBounds(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Whether a square is lit (inside a lit room, walls and doors included).
    @inline(__always)
    func isLit(_ i: Int) -> Bool {
        let room = roomOf[i]
        return room >= 0 && rooms[Int(room)].lit
    }

    /// The glyph the player would remember for a square: the top object, else the terrain.
    @inline(__always)
    func rememberedGlyph(_ i: Int) -> Int16 {
        let top = topObject[i]
        if top >= 0 { return top }
        return Glyph.terrain(tiles[i], lit: isLit(i), hiddenDoorLooksLike: hiddenDoorGlyph(i))
    }

    /// A hidden door imitates the wall it sits in.
    private func hiddenDoorGlyph(_ i: Int) -> Int16 {
        let x = i % width
        if x > 0, x < width - 1 {
            let left = tiles[i - 1], right = tiles[i + 1]
            if left == .floor || right == .floor || left == .verticalWall || right == .verticalWall {
                return Glyph.verticalWall
            }
        }
        return Glyph.horizontalWall
    }

    mutating func addObject(_ object: FloorObject) {
        objects.append(object)
        refreshTopObject(x: object.x, y: object.y)
    }

    mutating func removeObject(at index: Int) {
        let object = objects.remove(at: index)
        refreshTopObject(x: object.x, y: object.y)
    }

    /// Recomputes the top-object glyph of a square (the most recently dropped object shows).
    mutating func refreshTopObject(x: Int, y: Int) {
        var glyph: Int16 = -1
        for object in objects where object.x == x && object.y == y {
            glyph = object.kind == .corpse
                ? Glyph.corpseBase + Int16(object.quantity) : Glyph.objectBase + Int16(object.kind.rawValue)
        }
        topObject[index(x, y)] = glyph
    }

    /// Index of the first object at a square, or nil.
    func firstObject(x: Int, y: Int) -> Int? {
        objects.firstIndex { $0.x == x && $0.y == y }
    }

    func objectCount(x: Int, y: Int) -> Int {
        var count = 0
        for object in objects where object.x == x && object.y == y { count += 1 }
        return count
    }

    /// Adds a monster, reusing a dead slot; returns its index or nil when the square is taken.
    @discardableResult
    mutating func addMonster(_ monster: Monster) -> Int? {
        let i = index(monster.x, monster.y)
        guard monsterAt[i] < 0 else { return nil }
        let slot: Int
        if let free = monsters.firstIndex(where: { !$0.alive }) {
            monsters[free] = monster
            slot = free
        } else {
            monsters.append(monster)
            slot = monsters.count - 1
        }
        monsterAt[i] = Int16(slot)
        return slot
    }

    mutating func removeMonster(_ slot: Int) {
        let m = monsters[slot]
        let i = index(m.x, m.y)
        if monsterAt[i] == Int16(slot) { monsterAt[i] = -1 }
        monsters[slot].alive = false
    }

    mutating func moveMonster(_ slot: Int, toX x: Int, y: Int) {
        let m = monsters[slot]
        monsterAt[index(m.x, m.y)] = -1
        monsters[slot].x = x
        monsters[slot].y = y
        monsterAt[index(x, y)] = Int16(slot)
    }

    /// Whether every room and both staircases are mutually reachable, counting closed, locked and
    /// hidden doors and hidden corridors as passable (they can be opened, kicked or found).
    mutating func isConnected() -> Bool {
        markReachable()
        for room in rooms where !reached[index(room.lowX, room.lowY)] { return false }
        if downStairs >= 0 && !reached[downStairs] { return false }
        return true
    }

    /// Fills `reached` with the squares reachable from the up staircase, as `isConnected` counts
    /// them; with `avoidingLockedRoom` the doors of `lockedRoom` are impassable. Uses the level's
    /// scratch storage, so generation allocates nothing once a level has been made.
    mutating func markReachable(avoidingLockedRoom: Bool = false) {
        for i in 0..<reached.count { reached[i] = false }
        queue.removeAll(keepingCapacity: true)
        queue.append(upStairs)
        reached[upStairs] = true
        var head = 0
        while head < queue.count {
            let i = queue[head]
            head += 1
            let x = i % width, y = i / width
            for dy in -1...1 {
                for dx in -1...1 where dx != 0 || dy != 0 {
                    let nx = x + dx, ny = y + dy
                    guard inBounds(nx, ny) else { continue }
                    let j = index(nx, ny)
                    if reached[j] { continue }
                    let t = tiles[j]
                    let passable = t.isWalkable || t.isDoor || t == .hiddenCorridor
                    guard passable else { continue }
                    if avoidingLockedRoom && t.isDoor && Int(roomOf[j]) == lockedRoom { continue }
                    if dx != 0 && dy != 0 && (tiles[i].isDoor || t.isDoor) { continue }
                    reached[j] = true
                    queue.append(j)
                }
            }
        }
    }
}
