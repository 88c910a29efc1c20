/// What one sentence of a message line reports, in the terms the built-in goals care about.
///
/// `MessageClassifier` maps a sentence to an event; `helps(_:)` says which goals count it as
/// progress. The table is the lexicon's whole judgement, written down in docs/annotator.md
/// ("Labeling rules") from a NetHack player's point of view.
public enum MessageEvent: String, Hashable, Sendable, CaseIterable {
    /// You killed or destroyed a hostile monster ("You kill the jackal!").
    case killedMonster = "killed_monster"
    /// You damaged a monster ("You hit the newt.", "You kick the jackal.").
    case hitMonster = "hit_monster"
    /// "Welcome to experience level 3.", "You feel more experienced."
    case levelUp = "level_up"
    /// You are better at fighting ("You feel more confident in your weapon skills.").
    case combatSkill = "combat_skill"
    /// Gold went into your purse ("$ - 5 gold pieces.", Dungeon's "5 gold pieces.").
    case gainedGold = "gained_gold"
    /// Gold within reach or known to be on the level: gold under you, someone counting money,
    /// a vault guard's footsteps.
    case goldNearby = "gold_nearby"
    /// A potion, scroll, wand, ring, amulet, spellbook or gem went into your pack.
    case gainedValuable = "gained_valuable"
    /// A way down right here: a staircase or ladder down under you, a trap door or hole found
    /// or escaped (NetHack lets you jump in with `>`).
    case downStairsHere = "down_stairs_here"
    /// You went deeper: down the stairs, through a trap door or a hole.
    case wentDeeper = "went_deeper"
    /// A way opened: a door opens or breaks, a lock opens, a hidden door or passage is found,
    /// a new room is entered.
    case openedWay = "opened_way"
    /// A sign of the Oracle: her name, her centaur statues, the sounds of her level (Delphi).
    case oracleSign = "oracle_sign"
    /// A deed that angers your god or costs Luck: killing your pet or a peaceful.
    case badDeed = "bad_deed"
    /// "You die..."
    case death
    /// Anything else: walls, prompts, pets and other monsters acting, attacks on you, items
    /// seen but not taken, hunger and other status lines, sounds, rumours.
    case neutral

    /// Whether this event is progress toward `goal` (built-in goals only; custom goals use
    /// their own words).
    public func helps(_ goal: Goal) -> Bool {
        switch (self, goal) {
        case (.killedMonster, .score), (.killedMonster, .combat): true
        case (.hitMonster, .combat): true
        case (.levelUp, .score), (.levelUp, .combat): true
        case (.combatSkill, .combat): true
        case (.gainedGold, .score), (.gainedGold, .gold): true
        case (.goldNearby, .score), (.goldNearby, .gold): true
        case (.gainedValuable, .score): true
        case (.downStairsHere, .score), (.downStairsHere, .stairs), (.downStairsHere, .oracle): true
        case (.wentDeeper, .score), (.wentDeeper, .stairs), (.wentDeeper, .oracle): true
        case (.openedWay, .stairs), (.openedWay, .oracle): true
        case (.oracleSign, .oracle): true
        default: false
        }
    }

    /// Events that spoil the whole message line whatever else it says.
    public var vetoes: Bool { self == .badDeed || self == .death }
}
