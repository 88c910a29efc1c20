/// Kinds of objects that lie on the floor or fill the inventory.
public enum ItemKind: UInt8, CaseIterable, Sendable {
    case gold, key, foodRation, apple, fortuneCookie, carrot
    case potionOfHealing, potionOfExtraHealing, potionOfWater, potionOfBooze, potionOfFruitJuice,
         potionOfSleeping
    /// A corpse on the floor; its quantity field holds the `MonsterKind` raw value.
    case corpse

    /// Map symbol, as NetHack draws the object class.
    var symbol: Character {
        switch self {
        case .gold: return "$"
        case .key: return "("
        case .foodRation, .apple, .fortuneCookie, .carrot, .corpse: return "%"
        default: return "!"
        }
    }

    var isFood: Bool { self == .foodRation || self == .apple || self == .fortuneCookie || self == .carrot }
    var isPotion: Bool { rawValue >= ItemKind.potionOfHealing.rawValue && rawValue <= ItemKind.potionOfSleeping.rawValue }

    /// Nutrition gained by eating one.
    var nutrition: Int {
        switch self {
        case .foodRation: return 800
        case .apple, .carrot: return 50
        case .fortuneCookie: return 40
        default: return 0
        }
    }

    /// Inventory letter; fixed per kind so captions stay stable.
    var letter: UInt8 {
        switch self {
        case .gold: return UInt8(ascii: "$")
        case .key: return UInt8(ascii: "k")
        case .foodRation: return UInt8(ascii: "d")
        case .apple: return UInt8(ascii: "e")
        case .fortuneCookie: return UInt8(ascii: "f")
        case .carrot: return UInt8(ascii: "g")
        case .potionOfHealing: return UInt8(ascii: "p")
        case .potionOfExtraHealing: return UInt8(ascii: "q")
        case .potionOfWater: return UInt8(ascii: "r")
        case .potionOfBooze: return UInt8(ascii: "s")
        case .potionOfFruitJuice: return UInt8(ascii: "t")
        case .potionOfSleeping: return UInt8(ascii: "u")
        case .corpse: return UInt8(ascii: "c")
        }
    }

    var singularText: String {
        switch self {
        case .gold: return "gold piece"
        case .key: return "skeleton key"
        case .foodRation: return "food ration"
        case .apple: return "apple"
        case .fortuneCookie: return "fortune cookie"
        case .carrot: return "carrot"
        case .potionOfHealing: return "potion of healing"
        case .potionOfExtraHealing: return "potion of extra healing"
        case .potionOfWater: return "potion of water"
        case .potionOfBooze: return "potion of booze"
        case .potionOfFruitJuice: return "potion of fruit juice"
        case .potionOfSleeping: return "potion of sleeping"
        case .corpse: return "corpse"
        }
    }

    var pluralText: String {
        switch self {
        case .potionOfHealing, .potionOfExtraHealing, .potionOfWater, .potionOfBooze, .potionOfFruitJuice,
             .potionOfSleeping:
            return "potions" + singularText.dropFirst("potion".count)
        default: return singularText + "s"
        }
    }

    /// "a food ration", "an apple".
    var articleText: String {
        let first = singularText.first!
        return ("aeiou".contains(first) ? "an " : "a ") + singularText
    }

    /// Precomputed UTF-8 names so captions are built without String work.
    static let singularBytes: [[UInt8]] = allCases.map { Array($0.articleText.utf8) }
    static let bareNameBytes: [[UInt8]] = allCases.map { Array($0.singularText.utf8) }
    static let pluralBytes: [[UInt8]] = allCases.map { Array($0.pluralText.utf8) }
}
