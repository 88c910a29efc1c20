/// Kinds of monsters, with the handful of numbers the game needs about each.
public enum MonsterKind: UInt8, CaseIterable, Sendable {
    case newt, jackal, sewerRat, gridBug, lichen, kobold, goblin, gecko, fox, coyote, giantRat
    case gnome, gnomeLord, hillOrc, dwarf, hobbit, homunculus, giantBat, rothe
    /// The Oracle: peaceful, immobile, found on `GameConfiguration.oracleDepth`.
    case oracle
    /// The pets (one starts tame next to the player).
    case kitten, littleDog

    /// How a monster's melee attack is described.
    enum Attack { case bite, hit, touch, butt, sting }

    struct Stats {
        let name: String
        let symbol: Character
        /// Monster level: hit dice, difficulty and experience all scale with it.
        let level: Int
        /// Moves per 12 turns (NetHack's speed, 12 = the player's).
        let speed: Int
        let attack: Attack
        /// Damage die size (one die per attack).
        let damage: Int
        /// Generated peaceful towards the (dwarvish) player most of the time.
        let usuallyPeaceful: Bool
    }

    var stats: Stats { MonsterKind.table[Int(rawValue)] }
    var symbol: Character { stats.symbol }

    static let table: [Stats] = allCases.map { kind in
        switch kind {
        case .newt: return Stats(name: "newt", symbol: ":", level: 0, speed: 6, attack: .bite, damage: 3, usuallyPeaceful: false)
        case .jackal: return Stats(name: "jackal", symbol: "d", level: 0, speed: 12, attack: .bite, damage: 2, usuallyPeaceful: false)
        case .sewerRat: return Stats(name: "sewer rat", symbol: "r", level: 0, speed: 12, attack: .bite, damage: 3, usuallyPeaceful: false)
        case .gridBug: return Stats(name: "grid bug", symbol: "x", level: 0, speed: 12, attack: .bite, damage: 1, usuallyPeaceful: false)
        case .lichen: return Stats(name: "lichen", symbol: "F", level: 0, speed: 1, attack: .touch, damage: 1, usuallyPeaceful: false)
        case .kobold: return Stats(name: "kobold", symbol: "k", level: 0, speed: 6, attack: .hit, damage: 4, usuallyPeaceful: false)
        case .goblin: return Stats(name: "goblin", symbol: "o", level: 0, speed: 6, attack: .hit, damage: 6, usuallyPeaceful: false)
        case .gecko: return Stats(name: "gecko", symbol: ":", level: 1, speed: 6, attack: .bite, damage: 3, usuallyPeaceful: false)
        case .fox: return Stats(name: "fox", symbol: "d", level: 1, speed: 10, attack: .bite, damage: 3, usuallyPeaceful: false)
        case .coyote: return Stats(name: "coyote", symbol: "d", level: 1, speed: 12, attack: .bite, damage: 3, usuallyPeaceful: false)
        case .giantRat: return Stats(name: "giant rat", symbol: "r", level: 1, speed: 10, attack: .bite, damage: 3, usuallyPeaceful: false)
        case .gnome: return Stats(name: "gnome", symbol: "G", level: 1, speed: 6, attack: .hit, damage: 6, usuallyPeaceful: true)
        case .gnomeLord: return Stats(name: "gnome lord", symbol: "G", level: 2, speed: 8, attack: .hit, damage: 8, usuallyPeaceful: true)
        case .hillOrc: return Stats(name: "hill orc", symbol: "o", level: 2, speed: 9, attack: .hit, damage: 6, usuallyPeaceful: false)
        case .dwarf: return Stats(name: "dwarf", symbol: "h", level: 2, speed: 6, attack: .hit, damage: 8, usuallyPeaceful: true)
        case .hobbit: return Stats(name: "hobbit", symbol: "h", level: 1, speed: 9, attack: .hit, damage: 6, usuallyPeaceful: false)
        case .homunculus: return Stats(name: "homunculus", symbol: "i", level: 2, speed: 12, attack: .bite, damage: 3, usuallyPeaceful: false)
        case .giantBat: return Stats(name: "giant bat", symbol: "B", level: 2, speed: 22, attack: .bite, damage: 6, usuallyPeaceful: false)
        case .rothe: return Stats(name: "rothe", symbol: "q", level: 3, speed: 9, attack: .butt, damage: 8, usuallyPeaceful: false)
        case .oracle: return Stats(name: "Oracle", symbol: "@", level: 12, speed: 0, attack: .touch, damage: 1, usuallyPeaceful: true)
        case .kitten: return Stats(name: "kitten", symbol: "f", level: 2, speed: 18, attack: .bite, damage: 6, usuallyPeaceful: true)
        case .littleDog: return Stats(name: "little dog", symbol: "d", level: 2, speed: 18, attack: .bite, damage: 6, usuallyPeaceful: true)
        }
    }

    /// The kinds that random generation may pick (no Oracle, no pets).
    static let wandering: [MonsterKind] = allCases.filter { $0 != .oracle && $0 != .kitten && $0 != .littleDog }

    static let nameBytes: [[UInt8]] = allCases.map { Array($0.stats.name.utf8) }
}
