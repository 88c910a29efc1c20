/// Every caption template the game can print.
///
/// Placeholders: `%a` and `%b` are names (monster or object phrases), `%n` a number, `%s` a
/// plural "s" when that number is not 1, `%l` an inventory letter. Templates are turned into
/// UTF-8 once (`Message.bytes`) so printing a message is a byte copy.
enum Message: Int, CaseIterable {
    // Movement and terrain.
    case itsAWall, itsSolidStone, diagonalOutOfDoorway, diagonalIntoDoorway, doorIsLocked,
         doorIsStuck, youStopPetInWay, youSwapPlaces, peacefulInWay, oracleInWay, youCannotPassOracle
    // Looking at a square.
    case stairsDownHere, stairsUpHere, fountainHere, seeNoObjects, seeHereOne, seeHereMany, seeHereGold,
         severalObjectsHere, brokenDoorHere, doorwayHere, corridorHere, floorHereLit, floorHereDark
    // Stairs.
    case cannotGoDown, cannotGoUp, refuseToLeave, descend, ascend, deepestYet, cannotGoDeeper
    // Doors.
    case doorOpens, doorAlreadyOpen, doorIsBroken, noDoorThere, doorCloses, doorAlreadyClosed,
         somethingInTheWay, cannotCloseBroken, noDoorToClose
    // Kicking.
    case whamm, kickDoorCrashesOpen, kickDoorShatters, kickEmptySpace, kickWallOuch, kickStone,
         kickMonster, kickMonsterMiss, kickPeaceful, doorResists, kickFountain, kickStairs
    // Keys.
    case nothingToApply, unlockDoor, lockDoor, noLockThere, keyDoesNotFit, applyNoDoor
    // Picking up.
    case nothingToPickUp, pickUpGold, pickUpOne, pickUpMany, cannotLiftCorpse
    // Eating.
    case nothingToEat, rationDelicious, rationBland, finishEating, appleCrisp, appleJuicy, carrotEyes,
         cookieFortune, fortune1, fortune2, fortune3, fortune4, fortune5, fortune6, fortune7, fortune8,
         fortune9, fortune10, fortune11, fortune12, notHungryAnymore, choking
    // Quaffing.
    case nothingToDrink, feelBetter, feelMuchBetter, thisWaterTastes, boozeFire, boozeDizzy,
         fruitJuiceTaste, fallAsleep, wakeUp, potionEmpty
    // Fountains.
    case fountainCool, fountainTepid, fountainWarm, fountainDriesUp, fountainSelfKnowledge,
         fountainCoins, fountainWaterMoccasin, fountainBubbles, fountainNymphLaugh, fountainSeeInvisible,
         fountainContaminated, fountainStrangeTingle, fountainGushes, fountainWish
    // Searching.
    case findHiddenDoor, findHiddenPassage, findNothingSpecial
    // Combat, player attacking.
    case youHit, youMiss, youKill, youDestroy, youHitHard, youSmite
    // Combat, monster attacking.
    case monsterBites, monsterHits, monsterTouches, monsterButts, monsterStings, monsterMisses,
         monsterMissesWildly, monsterJustMisses, monsterWakes, monsterNotices, monsterTurnsToFlee,
         monsterPicksUpGold
    // Pet combat and pet life.
    case petBites, petKills, petMisses, petEatsCorpse, petGreets
    // Player condition.
    case youDie, welcomeLevel, hungry, weak, faint, starve, hpLow, feelHealthier
    // Prayer.
    case beginPraying, feelHopeful, feelMuchBetterPrayer, feelGodDispleased, godIsAngry, feelSmallFear,
         youFeelAHushedPresence
    // Level arrival and Oracle.
    case enterOracleRoom, oracleRegards, oracleSpeaks1, oracleSpeaks2, oracleSpeaks3, oracleCentaur,
         keyRoomFeeling, levelGrowsDark, enterLitRoom, enterDarkRoom
    // Atmosphere.
    case hearBubblingWater, hearWaterOnCoins, hearNaiad, hearSodaFountain, hearCountingMoney,
         hearGuardFootsteps, hearEbenezer, hearStrangeWind, hearConvulsiveRavings, hearSnoringSnakes,
         hearWoodchucks, hearLoudZot, hearDoorOpen, hearDistantNoises, hearDigging, hearChimes,
         hearFootstepsAbove, hearSlowDrip, hearRumble, hearMonsterGrowl, feelDraught, smellBread,
         hearCrackle, hearWhisper, feelWatched, hearHowling, hearSqueak, hearDistantClang
    // Miscellaneous.
    case welcome, welcomeKeyRoom, youAreStillAsleep,
         youBumpIntoMonster, youFeelLucky, youFeelClumsy, youStumble, youTrip, youNoticeCracks

    /// The template text.
    var template: String {
        switch self {
        case .itsAWall: return "It's a wall."
        case .itsSolidStone: return "It's solid stone."
        case .diagonalOutOfDoorway: return "You can't move diagonally out of an intact doorway."
        case .diagonalIntoDoorway: return "You can't move diagonally into an intact doorway."
        case .doorIsLocked: return "This door is locked."
        case .doorIsStuck: return "The door is stuck."
        case .youStopPetInWay: return "You stop.  Your %a is in your way."
        case .youSwapPlaces: return "You swap places with your %a."
        case .peacefulInWay: return "You stop.  The peaceful %a is in your way."
        case .oracleInWay: return "The Oracle looks at you and does not move."
        case .youCannotPassOracle: return "You can't pass the Oracle."
        case .stairsDownHere: return "There is a staircase down here."
        case .stairsUpHere: return "There is a staircase up here."
        case .fountainHere: return "There is a fountain here."
        case .seeNoObjects: return "You see no objects here."
        case .seeHereOne: return "You see here %a."
        case .seeHereMany: return "You see here %n %a."
        case .seeHereGold: return "You see here %n gold piece%s."
        case .severalObjectsHere: return "There are several objects here."
        case .brokenDoorHere: return "There is a broken door here."
        case .doorwayHere: return "There is a doorway here."
        case .corridorHere: return "You are in a corridor."
        case .floorHereLit: return "There is nothing here but the floor."
        case .floorHereDark: return "You feel the floor here; it is too dark to see."
        case .cannotGoDown: return "You can't go down here."
        case .cannotGoUp: return "You can't go up here."
        case .refuseToLeave: return "You decide not to leave the dungeon without the Amulet."
        case .descend: return "You climb down the stairs to level %n."
        case .ascend: return "You climb up the stairs to level %n."
        case .deepestYet: return "You have never been this deep before."
        case .cannotGoDeeper: return "The stairs are blocked by rubble."
        case .doorOpens: return "The door opens."
        case .doorAlreadyOpen: return "This door is already open."
        case .doorIsBroken: return "This door is broken."
        case .noDoorThere: return "You see no door there."
        case .doorCloses: return "The door closes."
        case .doorAlreadyClosed: return "This door is already closed."
        case .somethingInTheWay: return "Something's in the way."
        case .cannotCloseBroken: return "This door is broken and cannot be closed."
        case .noDoorToClose: return "There is no door there to close."
        case .whamm: return "WHAMM!!"
        case .kickDoorCrashesOpen: return "As you kick the door, it crashes open!"
        case .kickDoorShatters: return "As you kick the door, it shatters to pieces!"
        case .kickEmptySpace: return "You kick at empty space."
        case .kickWallOuch: return "Ouch!  That hurts!"
        case .kickStone: return "Ouch!  You kick solid rock!"
        case .kickMonster: return "You kick the %a."
        case .kickMonsterMiss: return "Your clumsy kick misses the %a."
        case .kickPeaceful: return "You decide not to kick the peaceful %a."
        case .doorResists: return "WHAMM!!  This door is firmly shut."
        case .kickFountain: return "Ouch!  You kick the fountain and hurt your foot."
        case .kickStairs: return "Dumb move!  You strain a muscle."
        case .nothingToApply: return "You don't have anything to use or apply."
        case .unlockDoor: return "You unlock the door."
        case .lockDoor: return "You lock the door."
        case .noLockThere: return "There is no lock there."
        case .keyDoesNotFit: return "This door is open; you cannot lock it."
        case .applyNoDoor: return "You see no door there to unlock."
        case .nothingToPickUp: return "There is nothing here to pick up."
        case .pickUpGold: return "%n gold piece%s."
        case .pickUpOne: return "%l - %a."
        case .pickUpMany: return "%l - %n %a."
        case .cannotLiftCorpse: return "You cannot lift the %a corpse; it is too heavy."
        case .nothingToEat: return "You don't have anything to eat."
        case .rationDelicious: return "This food ration is delicious!"
        case .rationBland: return "This food ration is bland."
        case .finishEating: return "You finish eating the %a."
        case .appleCrisp: return "This apple is crisp and sweet."
        case .appleJuicy: return "Juicy!  That was a good apple."
        case .carrotEyes: return "This carrot is good for your eyes."
        case .cookieFortune: return "This cookie has a scrap of paper inside.  It reads:"
        case .fortune1: return "\"They say that the Oracle knows more than she tells.\""
        case .fortune2: return "\"Keys open doors; feet open the rest.\""
        case .fortune3: return "\"Deeper is richer, and deadlier.\""
        case .fortune4: return "\"Never trust a fountain twice.\""
        case .fortune5: return "\"The stairs you seek are behind the door you cannot kick.\""
        case .fortune6: return "\"A hungry adventurer is a careless adventurer.\""
        case .fortune7: return "\"Search the walls when the corridor ends in nothing.\""
        case .fortune8: return "\"Your pet remembers every scrap you did not share.\""
        case .fortune9: return "\"Gold in the pocket is score on the tombstone.\""
        case .fortune10: return "\"Pray when you are weak, not when you are greedy.\""
        case .fortune11: return "\"The jackal that runs away lives to bite another day.\""
        case .fortune12: return "\"You will meet a tall, dark staircase.\""
        case .notHungryAnymore: return "You are no longer hungry."
        case .choking: return "You're having a hard time getting all of it down."
        case .nothingToDrink: return "You don't have anything to drink."
        case .feelBetter: return "You feel better."
        case .feelMuchBetter: return "You feel much better."
        case .thisWaterTastes: return "This tastes like water."
        case .boozeFire: return "Ooph!  This tastes like liquid fire!"
        case .boozeDizzy: return "You feel somewhat dizzy."
        case .fruitJuiceTaste: return "This tastes like fruit juice."
        case .fallAsleep: return "You suddenly fall asleep!"
        case .wakeUp: return "You wake up."
        case .potionEmpty: return "The bottle is empty; you put it away."
        case .fountainCool: return "The cool draught refreshes you."
        case .fountainTepid: return "The tepid water is tasteless."
        case .fountainWarm: return "This water's no good!"
        case .fountainDriesUp: return "The fountain dries up!"
        case .fountainSelfKnowledge: return "You feel self-knowledgeable..."
        case .fountainCoins: return "You spot a gem in the sparkling waters!"
        case .fountainWaterMoccasin: return "An endless stream of snakes pours forth!  Luckily they slither away."
        case .fountainBubbles: return "A few bubbles rise to the surface."
        case .fountainNymphLaugh: return "You hear a distant laughter from the water."
        case .fountainSeeInvisible: return "You see an image of someone stalking you.  But it disappears."
        case .fountainContaminated: return "The water is contaminated!"
        case .fountainStrangeTingle: return "You feel a strange tingling."
        case .fountainGushes: return "Water gushes forth from the overflowing fountain!"
        case .fountainWish: return "You see a puff of smoke, but nothing comes of it."
        case .findHiddenDoor: return "You find a hidden door."
        case .findHiddenPassage: return "You find a hidden passage."
        case .findNothingSpecial: return "You search carefully but find nothing special."
        case .youHit: return "You hit the %a."
        case .youMiss: return "You miss the %a."
        case .youKill: return "You kill the %a!"
        case .youDestroy: return "You destroy the %a!"
        case .youHitHard: return "You hit the %a hard!"
        case .youSmite: return "You smite the %a!"
        case .monsterBites: return "The %a bites!"
        case .monsterHits: return "The %a hits!"
        case .monsterTouches: return "The %a touches you!"
        case .monsterButts: return "The %a butts!"
        case .monsterStings: return "The %a stings!"
        case .monsterMisses: return "The %a misses."
        case .monsterMissesWildly: return "The %a swings wildly and misses!"
        case .monsterJustMisses: return "The %a just misses!"
        case .monsterWakes: return "The %a wakes up."
        case .monsterNotices: return "The %a notices you."
        case .monsterTurnsToFlee: return "The %a turns to flee."
        case .monsterPicksUpGold: return "The %a picks up some gold."
        case .petBites: return "Your %a bites the %b."
        case .petKills: return "Your %a kills the %b."
        case .petMisses: return "Your %a misses the %b."
        case .petEatsCorpse: return "Your %a eats a %b corpse."
        case .petGreets: return "Your %a wags happily."
        case .youDie: return "You die..."
        case .welcomeLevel: return "Welcome to experience level %n."
        case .hungry: return "You are beginning to feel hungry."
        case .weak: return "You are beginning to feel weak."
        case .faint: return "You faint from lack of food."
        case .starve: return "You die from starvation."
        case .hpLow: return "You are badly hurt; you have %n hit point%s left."
        case .feelHealthier: return "You feel healthier."
        case .beginPraying: return "You begin praying to Tyr."
        case .feelHopeful: return "You feel a hopeful feeling."
        case .feelMuchBetterPrayer: return "You feel much better.  Tyr is well-pleased."
        case .feelGodDispleased: return "You feel that Tyr is displeased."
        case .godIsAngry: return "You feel guilty.  Tyr is angry with you!"
        case .feelSmallFear: return "You feel a small fear."
        case .youFeelAHushedPresence: return "You feel a hushed presence."
        case .enterOracleRoom: return "You enter a strange room with fountains and an old seer."
        case .oracleRegards: return "The Oracle regards you calmly."
        case .oracleSpeaks1: return "The Oracle murmurs: \"Seek the Amulet beneath the sea of ice.\""
        case .oracleSpeaks2: return "The Oracle murmurs: \"Your luck is a coin; spend it wisely.\""
        case .oracleSpeaks3: return "The Oracle murmurs: \"What you seek lies deeper still.\""
        case .oracleCentaur: return "You see statues of centaurs around the Oracle's fountains."
        case .keyRoomFeeling: return "You have a feeling that a locked room guards the way down."
        case .levelGrowsDark: return "It is dark here."
        case .enterLitRoom: return "You enter a lit room."
        case .enterDarkRoom: return "You enter a dark room."
        case .hearBubblingWater: return "You hear bubbling water."
        case .hearWaterOnCoins: return "You hear water falling on coins."
        case .hearNaiad: return "You hear the splashing of a naiad."
        case .hearSodaFountain: return "You hear a soda fountain!"
        case .hearCountingMoney: return "You hear someone counting money."
        case .hearGuardFootsteps: return "You hear the footsteps of a guard on patrol."
        case .hearEbenezer: return "You hear Ebenezer Scrooge!"
        case .hearStrangeWind: return "You hear a strange wind."
        case .hearConvulsiveRavings: return "You hear convulsive ravings."
        case .hearSnoringSnakes: return "You hear snoring snakes."
        case .hearWoodchucks: return "You hear someone say \"No more woodchucks!\""
        case .hearLoudZot: return "You hear a loud ZOT!"
        case .hearDoorOpen: return "You hear a door open."
        case .hearDistantNoises: return "You hear some noises in the distance."
        case .hearDigging: return "You hear the sound of digging."
        case .hearChimes: return "You hear faint chimes."
        case .hearFootstepsAbove: return "You hear footsteps on the level above."
        case .hearSlowDrip: return "You hear a slow drip."
        case .hearRumble: return "You hear a distant rumble."
        case .hearMonsterGrowl: return "You hear a growl somewhere nearby."
        case .feelDraught: return "You feel a draught."
        case .smellBread: return "You smell fresh bread.  Somebody must be baking."
        case .hearCrackle: return "You hear a crackling of flames."
        case .hearWhisper: return "You hear a whisper in the dark."
        case .feelWatched: return "You have an uncanny feeling of being watched."
        case .hearHowling: return "You hear howling in the distance."
        case .hearSqueak: return "You hear a squeak."
        case .hearDistantClang: return "You hear a distant clang of metal."
        case .welcome: return "Hello Agent, welcome to the Dungeon!  You are a lawful dwarven Valkyrie."
        case .welcomeKeyRoom: return "Hello Agent, welcome to the Dungeon!  Somewhere a key waits for its door."
        case .youAreStillAsleep: return "You are still asleep."
        case .youBumpIntoMonster: return "You bump into the %a."
        case .youFeelLucky: return "You feel lucky."
        case .youFeelClumsy: return "You feel clumsy."
        case .youStumble: return "You stumble over your own feet."
        case .youTrip: return "You trip over a loose stone."
        case .youNoticeCracks: return "You notice cracks in the wall."
        }
    }

    /// Templates as UTF-8, indexed by raw value.
    static let bytes: [[UInt8]] = allCases.map { Array($0.template.utf8) }

    /// Atmosphere messages a level may print now and then (general ones, any level).
    static let generalSounds: [Message] = [
        .hearDoorOpen, .hearDistantNoises, .hearDigging, .hearChimes, .hearFootstepsAbove, .hearSlowDrip,
        .hearRumble, .hearMonsterGrowl, .feelDraught, .smellBread, .hearCrackle, .hearWhisper, .feelWatched,
        .hearHowling, .hearSqueak, .hearDistantClang,
    ]
    static let fountainSounds: [Message] = [.hearBubblingWater, .hearWaterOnCoins, .hearNaiad, .hearSodaFountain]
    static let goldSounds: [Message] = [.hearCountingMoney, .hearGuardFootsteps, .hearEbenezer]
    static let oracleSounds: [Message] = [
        .hearStrangeWind, .hearConvulsiveRavings, .hearSnoringSnakes, .hearWoodchucks, .hearLoudZot,
    ]
    static let oracleSayings: [Message] = [.oracleSpeaks1, .oracleSpeaks2, .oracleSpeaks3]
    static let fortunes: [Message] = [
        .fortune1, .fortune2, .fortune3, .fortune4, .fortune5, .fortune6, .fortune7, .fortune8, .fortune9,
        .fortune10, .fortune11, .fortune12,
    ]
    static let fountainQuaffs: [Message] = [
        .fountainCool, .fountainTepid, .fountainWarm, .fountainSelfKnowledge, .fountainCoins,
        .fountainWaterMoccasin, .fountainBubbles, .fountainNymphLaugh, .fountainSeeInvisible,
        .fountainContaminated, .fountainStrangeTingle, .fountainGushes, .fountainWish,
    ]
}
