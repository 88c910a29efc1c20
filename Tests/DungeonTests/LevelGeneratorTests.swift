import Testing
@testable import Dungeon

private func generate(seed: UInt64, depth: Int, oracle: Bool = false, keyRoom: Bool = false,
                      rows: Int = 21, columns: Int = 79) -> Level {
    var level = Level(width: columns, height: rows)
    var rng = SplitMix64(seed: seed)
    LevelGenerator.generate(into: &level, options: .init(depth: depth, hasDownStairs: true, oracle: oracle, keyRoom: keyRoom),
                            rng: &rng)
    return level
}

/// Squares reachable from the up staircase; `blocked` squares are never entered.
private func reachable(_ level: Level, blocked: (Int) -> Bool = { _ in false }) -> [Bool] {
    var seen = [Bool](repeating: false, count: level.tiles.count)
    var queue = [level.upStairs]
    seen[level.upStairs] = true
    var head = 0
    while head < queue.count {
        let i = queue[head]
        head += 1
        let x = i % level.width, y = i / level.width
        for dy in -1...1 {
            for dx in -1...1 where dx != 0 || dy != 0 {
                let nx = x + dx, ny = y + dy
                guard level.inBounds(nx, ny) else { continue }
                let j = level.index(nx, ny)
                let t = level.tiles[j]
                guard !seen[j], !blocked(j), t.isWalkable || t.isDoor || t == .hiddenCorridor else { continue }
                if dx != 0 && dy != 0 && (level.tiles[i].isDoor || t.isDoor) { continue }
                seen[j] = true
                queue.append(j)
            }
        }
    }
    return seen
}

@Test func everyLevelIsConnectedWithReachableStairs() {
    for seed in UInt64(0)..<300 {
        let level = generate(seed: seed, depth: 1 + Int(seed % 8))
        #expect(level.rooms.count >= 2, "seed \(seed)")
        #expect(level.tiles[level.upStairs] == .upStairs, "seed \(seed)")
        #expect(level.tiles[level.downStairs] == .downStairs, "seed \(seed)")
        #expect(level.upStairs != level.downStairs)
        let seen = reachable(level)
        #expect(seen[level.downStairs], "seed \(seed): down staircase unreachable")
        for room in level.rooms {
            #expect(seen[level.index(room.lowX, room.lowY)], "seed \(seed): a room is unreachable")
        }
    }
}

@Test func smallMapsStillMakeConnectedLevels() {
    for seed in UInt64(0)..<100 {
        let level = generate(seed: seed, depth: 1, rows: 11, columns: 21)
        let seen = reachable(level)
        #expect(seen[level.downStairs], "seed \(seed)")
    }
}

@Test func keyRoomIsSolvableAndLockedBehindUnkickableDoors() {
    for seed in UInt64(0)..<200 {
        let level = generate(seed: seed, depth: 1, keyRoom: true)
        #expect(level.lockedRoom >= 0)
        let lockedRoom = level.rooms[level.lockedRoom]
        #expect(lockedRoom.contains(x: level.downStairs % level.width, y: level.downStairs / level.width))
        // Every door of the staircase room is locked.
        var doors = 0
        for y in (lockedRoom.lowY - 1)...(lockedRoom.highY + 1) {
            for x in (lockedRoom.lowX - 1)...(lockedRoom.highX + 1) where level.tiles[level.index(x, y)].isDoor {
                #expect(level.tiles[level.index(x, y)] == .lockedDoor)
                doors += 1
            }
        }
        #expect(doors >= 1, "seed \(seed)")
        // The key is reachable without passing the locked doors; the stairs are reachable through them.
        guard let key = level.objects.first(where: { $0.kind == .key && !lockedRoom.contains(x: $0.x, y: $0.y) }) else {
            Issue.record("seed \(seed): no key outside the locked room")
            continue
        }
        let outside = reachable(level) { level.tiles[$0] == .lockedDoor && Int(level.roomOf[$0]) == level.lockedRoom }
        #expect(outside[level.index(key.x, key.y)], "seed \(seed): key unreachable")
        #expect(!outside[level.downStairs], "seed \(seed): staircase reachable without the key")
        #expect(reachable(level)[level.downStairs])
    }
}

@Test func oracleLevelHasAReachableOracleWithFountains() {
    for seed in UInt64(0)..<100 {
        let level = generate(seed: seed, depth: 5, oracle: true)
        let oracles = level.monsters.filter { $0.alive && $0.kind == .oracle }
        #expect(oracles.count == 1, "seed \(seed)")
        #expect(level.fountainCount >= 4)
        guard let oracle = oracles.first else { continue }
        let seen = reachable(level)
        var besideReachable = false
        for dy in -1...1 {
            for dx in -1...1 where (dx != 0 || dy != 0) && seen[level.index(oracle.x + dx, oracle.y + dy)] {
                besideReachable = true
            }
        }
        #expect(besideReachable, "seed \(seed)")
    }
}

@Test func levelsHaveDoorsOfSeveralStatesAndDarkAndLitRooms() {
    var tiles = Set<Tile>()
    var lit = 0, dark = 0
    for seed in UInt64(0)..<100 {
        let level = generate(seed: seed, depth: 4)
        tiles.formUnion(level.tiles)
        for room in level.rooms { if room.lit { lit += 1 } else { dark += 1 } }
    }
    for tile in [Tile.doorway, .brokenDoor, .openDoor, .closedDoor, .lockedDoor, .hiddenDoor, .hiddenCorridor, .fountain] {
        #expect(tiles.contains(tile), "never generated \(tile)")
    }
    #expect(lit > 0 && dark > 0)
}
