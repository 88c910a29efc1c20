import Testing
@testable import Dungeon

@Test func walkingIntoAWallSaysSoAndCostsATurn() {
    var game = makeArena()
    game.teleport(x: 10, y: 7)
    let turn = game.turn
    game.step(.west)
    #expect(game.caption.hasPrefix("It's a wall."))
    #expect(game.x == 10)
    #expect(game.turn == turn + 1)
}

@Test func movingChangesPositionAndFacesTheDirection() {
    var game = makeArena()
    game.step(.east)
    #expect(game.x == 13 && game.y == 7)
    game.step(.southWest)
    #expect(game.x == 12 && game.y == 8)
    #expect(game.facingX == -1 && game.facingY == 1)
}

@Test func goingDownWithoutStairsFailsAndOnStairsDescends() {
    var game = makeArena()
    game.step(.down)
    #expect(game.caption.hasPrefix("You can't go down here."))
    #expect(game.depth == 1)
    let here = game.level.index(12, 7)
    game.level.tiles[here] = .downStairs
    game.level.downStairs = here
    game.step(.down)
    #expect(game.depth == 2)
    #expect(game.deepest == 2)
    #expect(game.caption.contains("You climb down the stairs to level 2."))
    #expect(game.level.tiles[game.level.index(game.x, game.y)] == .upStairs)
    game.step(.up)
    #expect(game.depth == 1)
    #expect(game.x == 12 && game.y == 7, "going up returns to the same down staircase")
}

@Test func goingUpFromTheFirstLevelIsRefused() {
    var game = makeArena()
    game.teleport(x: 18, y: 9)
    game.step(.up)
    #expect(game.caption.hasPrefix("You decide not to leave the dungeon"))
    #expect(game.depth == 1)
    game.teleport(x: 12, y: 7)
    game.step(.up)
    #expect(game.caption.hasPrefix("You can't go up here."))
}

@Test func pickingUpGoldAddsItAndSaysHowMuch() {
    var game = makeArena()
    game.level.addObject(FloorObject(kind: .gold, x: 13, y: 7, quantity: 12))
    game.step(.east)
    #expect(game.caption.contains("You see here 12 gold pieces."))
    game.step(.pickUp)
    #expect(game.caption.hasPrefix("12 gold pieces."))
    #expect(game.gold == 12)
    game.step(.pickUp)
    #expect(game.caption.hasPrefix("There is nothing here to pick up."))
}

@Test func pickingUpAnItemPutsItInTheInventoryWithItsLetter() {
    var game = makeArena()
    game.level.addObject(FloorObject(kind: .key, x: 12, y: 7, quantity: 1))
    game.step(.pickUp)
    #expect(game.caption.hasPrefix("k - a skeleton key."))
    #expect(game.count(of: .key) == 1)
}

@Test func lockedDoorNeedsTheKeyThenOpensAndCloses() {
    var game = makeArena()
    let door = game.level.index(13, 7)
    game.level.tiles[door] = .lockedDoor
    game.step(.east)
    #expect(game.caption.hasPrefix("This door is locked."))
    #expect(game.x == 12)
    game.step(.apply)
    #expect(game.caption.hasPrefix("You don't have anything to use or apply."))
    game.inventory[Int(ItemKind.key.rawValue)] = 1
    game.step(.apply)
    #expect(game.caption.hasPrefix("You unlock the door."))
    #expect(game.level.tiles[door] == .closedDoor)
    #expect(stepUntil(&game, .open, captionContains: "The door opens."))
    #expect(game.level.tiles[door] == .openDoor)
    game.step(.open)
    #expect(game.caption.hasPrefix("This door is already open."))
    game.step(.close)
    #expect(game.caption.hasPrefix("The door closes."))
    #expect(game.level.tiles[door] == .closedDoor)
}

@Test func kickingADoorEventuallyBreaksItButNotTheKeyRoomDoor() {
    var game = makeArena()
    let door = game.level.index(13, 7)
    game.level.tiles[door] = .lockedDoor
    game.step(.east)
    #expect(stepUntil(&game, .kick, captionContains: "As you kick the door"))
    #expect(game.level.tiles[door] == .brokenDoor || game.level.tiles[door] == .doorway)
    game.level.tiles[door] = .lockedDoor
    game.level.lockedRoom = 0
    for _ in 0..<20 {
        game.step(.kick)
        #expect(game.caption.hasPrefix("WHAMM!!  This door is firmly shut."))
    }
}

@Test func kickingAWallHurts() {
    var game = makeArena()
    game.teleport(x: 10, y: 7)
    game.step(.west)
    game.step(.kick)
    #expect(game.caption.hasPrefix("Ouch!  That hurts!"))
}

@Test func diagonalMovesOutOfDoorwaysAreRefused() {
    var game = makeArena()
    game.level.tiles[game.level.index(12, 7)] = .openDoor
    game.step(.northEast)
    #expect(game.caption.hasPrefix("You can't move diagonally out of an intact doorway."))
    #expect(game.x == 12 && game.y == 7)
}

@Test func searchingFindsAHiddenDoor() {
    var game = makeArena()
    game.teleport(x: 10, y: 7)
    let wall = game.level.index(9, 7)
    game.level.tiles[wall] = .hiddenDoor
    #expect(stepUntil(&game, .search, captionContains: "You find a hidden door."))
    #expect(game.level.tiles[wall] == .closedDoor)
    #expect(game.level.memory[wall] == Glyph.closedDoor)
}

@Test func eatingTheStartingRationFeedsTheHero() {
    var game = makeArena()
    let before = game.nutrition
    game.step(.eat)
    #expect(game.caption.contains("food ration"))
    #expect(game.nutrition == before + 800 - 1)
    game.step(.eat)
    #expect(game.caption.hasPrefix("You don't have anything to eat."))
}

@Test func quaffingHealsOrSaysThereIsNothing() {
    var game = makeArena()
    game.step(.quaff)
    #expect(game.caption.hasPrefix("You don't have anything to drink."))
    game.inventory[Int(ItemKind.potionOfHealing.rawValue)] = 1
    game.hitPoints = 3
    game.step(.quaff)
    #expect(game.caption.hasPrefix("You feel better."))
    #expect(game.hitPoints > 3)
}

@Test func fightingKillsAMonsterAndGivesExperience() {
    var game = makeArena()
    addMonster(&game, .jackal, x: 13, y: 7, hitPoints: 1)
    #expect(stepUntil(&game, .east, captionContains: "You kill the jackal!"))
    #expect(game.experiencePoints > 0)
    #expect(game.level.monsterAt[game.level.index(13, 7)] < 0)
}

@Test func hostileMonstersAttack() {
    var game = makeArena()
    game.hitPoints = 200
    game.maxHitPoints = 200
    addMonster(&game, .jackal, x: 13, y: 7, hitPoints: 50)
    #expect(stepUntil(&game, .wait, captionContains: "The jackal bites!"))
    #expect(game.hitPoints < 200)
}

@Test func peacefulMonstersAreNotAttackedByWalkingIntoThem() {
    var game = makeArena()
    addMonster(&game, .gnome, x: 13, y: 7, hitPoints: 5, peaceful: true)
    game.step(.east)
    #expect(game.caption.hasPrefix("You stop.  The peaceful gnome is in your way."))
}

@Test func lookingTakesNoTime() {
    var game = makeArena()
    let turn = game.turn
    game.step(.look)
    #expect(game.turn == turn)
    #expect(game.caption == "You see no objects here.")
}

@Test func starvingKillsTheHero() {
    var game = makeArena()
    game.nutrition = -200
    game.step(.wait)
    #expect(game.isDead)
    #expect(game.caption.contains("You die from starvation."))
}

@Test func prayingWhenLowOnHitPointsHeals() {
    var game = makeArena()
    game.prayerTimeout = 0
    game.hitPoints = 1
    game.step(.pray)
    #expect(game.caption.hasPrefix("You begin praying to Tyr.  You feel much better."))
    #expect(game.hitPoints == game.maxHitPoints)
}

@Test func theSameSeedGivesTheSameEpisode() {
    func run(seed: UInt64) -> ([String], [Int16]) {
        var game = Game(seed: seed)
        var rng = SplitMix64(seed: 99)
        var captions: [String] = []
        for _ in 0..<1500 {
            game.step(Action(rawValue: Int32(rng.below(Action.count)))!)
            captions.append(game.caption)
        }
        var glyphs = [Int16](repeating: 0, count: 21 * 79)
        glyphs.withUnsafeMutableBufferPointer { game.writeGlyphs(into: $0.baseAddress!) }
        return (captions, glyphs)
    }
    let a = run(seed: 7), b = run(seed: 7), c = run(seed: 8)
    #expect(a.0 == b.0)
    #expect(a.1 == b.1)
    #expect(a.0 != c.0 || a.1 != c.1)
}

@Test func observationsShowThePlayerWhereBlstatsSay() {
    var game = Game(seed: 3)
    var rng = SplitMix64(seed: 4)
    var glyphs = [Int16](repeating: 0, count: 21 * 79)
    var crop = [Int16](repeating: 0, count: 81)
    var blstats = [Int32](repeating: 0, count: BLStat.count)
    for _ in 0..<300 {
        game.step(Action(rawValue: Int32(rng.below(8)))!)
        glyphs.withUnsafeMutableBufferPointer { game.writeGlyphs(into: $0.baseAddress!) }
        crop.withUnsafeMutableBufferPointer { game.writeCrop(into: $0.baseAddress!, size: 9) }
        blstats.withUnsafeMutableBufferPointer { game.writeBlstats(into: $0.baseAddress!) }
        let x = Int(blstats[BLStat.x.rawValue]), y = Int(blstats[BLStat.y.rawValue])
        #expect(glyphs[y * 79 + x] == Glyph.player)
        #expect(glyphs.filter { $0 == Glyph.player }.count == 1)
        #expect(crop[40] == Glyph.player)
        #expect(glyphs.allSatisfy { $0 >= 0 && Int($0) < Glyph.count })
        // The crop agrees with the full map where both are defined.
        for row in 0..<9 {
            for column in 0..<9 {
                let mx = x - 4 + column, my = y - 4 + row
                let expected: Int16 = (mx >= 0 && mx < 79 && my >= 0 && my < 21) ? glyphs[my * 79 + mx] : Glyph.stone
                #expect(crop[row * 9 + column] == expected)
            }
        }
        if game.isDead { break }
    }
}

@Test func anAdjacentPetFollowsDownTheStairs() {
    var game = makeArena()
    game.level.addMonster(Monster(kind: .kitten, x: 13, y: 7, hitPoints: 10, asleep: false, peaceful: true,
                                  tame: true, alive: true))
    let here = game.level.index(12, 7)
    game.level.tiles[here] = .downStairs
    game.level.downStairs = here
    game.step(.down)
    #expect(game.depth == 2)
    let pets = game.level.monsters.filter { $0.alive && $0.tame }
    #expect(pets.count == 1)
    if let pet = pets.first { #expect(abs(pet.x - game.x) <= 1 && abs(pet.y - game.y) <= 1) }
}

@Test func inADarkRoomOnlyNeighboursAreSeen() {
    var game = makeArena()
    game.level.rooms[0].lit = false
    for i in game.level.memory.indices { game.level.memory[i] = Glyph.stone }
    game.teleport(x: 12, y: 7)
    game.step(.search)
    #expect(game.level.memory[game.level.index(13, 7)] == Glyph.darkFloor)
    #expect(game.level.memory[game.level.index(16, 7)] == Glyph.stone)
    // A monster three squares away in the dark is not drawn.
    addMonster(&game, .newt, x: 15, y: 7, hitPoints: 50)
    game.level.monsters[game.level.monsters.count - 1].asleep = true
    #expect(game.displayedGlyph(game.level.index(15, 7)) != Glyph.monsterBase + Int16(MonsterKind.newt.rawValue))
}

@Test func inALitRoomTheWholeRoomAndItsMonstersAreSeen() {
    var game = makeArena()
    addMonster(&game, .newt, x: 18, y: 9, hitPoints: 50)
    #expect(game.level.memory[game.level.index(19, 5)] == Glyph.litFloor)
    #expect(game.level.memory[game.level.index(20, 10)] == Glyph.bottomRightCorner)
    #expect(game.displayedGlyph(game.level.index(18, 9)) == Glyph.monsterBase + Int16(MonsterKind.newt.rawValue))
}

@Test func enteringARoomIsAnnouncedOnlyTheFirstTime() {
    var game = makeArena()  // teleported in: the arena room has not been entered yet
    game.step(.east)
    #expect(game.caption.contains("You enter a lit room."))
    game.step(.west)
    #expect(!game.caption.contains("You enter"))
}

@Test func theRoomYouStartInIsNotAnnouncedAsEntered() {
    for seed in UInt64(1)...20 {
        let game = Game(seed: seed)
        let room = Int(game.level.roomOf[game.level.index(game.x, game.y)])
        #expect(room >= 0, "seed \(seed): the up staircase is inside a room")
        #expect(game.level.roomsEntered & (UInt64(1) << UInt64(room)) != 0, "seed \(seed)")
    }
}
