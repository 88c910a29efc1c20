import Testing
@testable import YendorAnnotator

/// The lexicon's rules per category, each on real NetHack captions from NLE play
/// (data/nle-messages.tsv). Each row lists the goals the caption helps by the labeling rules
/// in docs/annotator.md; every other built-in goal must get "not helpful".
@Suite struct LexiconNetHackRulesTests {
    typealias Row = (caption: String, helps: Set<Goal>)

    static func check(_ row: Row) {
        for goal in Goal.builtIn {
            #expect(LexiconLabeler.isHelpful(row.caption, goal: goal) == row.helps.contains(goal),
                    "\(row.caption) for \(goal)")
        }
    }

    /// Items: gold and valuables taken count, items only seen do not (rocks, statues,
    /// corpses, weapons: the old rules' main false positives), nor goods for sale.
    static let items: [Row] = [
        ("$ - 92 gold pieces.", [.score, .gold]),
        ("$ - a gold piece.", [.score, .gold]),
        ("You see here 5 gold pieces.", [.score, .gold]),
        ("k - a scroll labeled ZELGO MER.", [.score]),
        ("l - a potion of healing.", [.score]),
        ("n - a jeweled wand.", [.score]),
        ("You swap places with your little dog.  m - an oak wand.", [.score]),
        ("You see here a rock.", []),
        ("You see here a statue of a newt.", []),
        ("You see here a lichen corpse.", []),
        ("You see here a triangular amulet.", []),
        ("You see here an orange potion (for sale, 267 zorkmids).", []),
        ("There is a lichen corpse here; eat it? [ynq] (n)", []),
    ]

    /// Monsters: your kills and level-ups count for score and combat, your hits for combat;
    /// misses, attacks on you and kills you did not make count for nothing.
    static let monsters: [Row] = [
        ("You kill the jackal!", [.score, .combat]),
        ("You destroy the kobold zombie!  The jackal bites!", [.score, .combat]),
        ("You kill the lichen!  Welcome to experience level 2.", [.score, .combat]),
        ("You kick the sewer rat.  You kill the sewer rat!", [.score, .combat]),
        ("You hit the newt.  The newt bites!", [.combat]),
        ("The newt staggers from your powerful strike!", [.combat]),
        ("You miss the jackal.  The jackal bites!", []),
        ("The goblin hits!", []),
        ("The jackal is killed!", []),
        ("You kick at empty space.", []),
        ("Really attack the little dog? [yn] (n)", []),
    ]

    /// Doors: every way of opening one is the same event (it opens the way for the stairs and
    /// the Oracle, not the score); failing to open one is nothing.
    static let doors: [Row] = [
        ("The door opens.", [.stairs, .oracle]),
        ("As you kick the door, it crashes open!", [.stairs, .oracle]),
        ("As you kick the door, it shatters to pieces!", [.stairs, .oracle]),
        ("THUD!  You break open the lock!", [.stairs, .oracle]),
        ("You find a hidden door.", [.stairs, .oracle]),
        ("You find a hidden passage.", [.stairs, .oracle]),
        ("That door is closed.", []),
        ("This door is locked.", []),
        ("The door resists!", []),
        ("WHAMM!!", []),
        ("You can't move diagonally into an intact doorway.", []),
        ("You hear a door open.", []),
        ("The kobold zombie opens a door.", []),
    ]

    /// Staircases: a way down under you counts for score, stairs and oracle, whatever else the
    /// line says; the way up, and a trap door in the ceiling, do not.
    static let stairs: [Row] = [
        ("There is a staircase down here.  You see here a fox corpse.", [.score, .stairs, .oracle]),
        ("You find a trap door.", [.score, .stairs, .oracle]),
        ("There is a staircase up here.  You see here an orcish helm.", []),
        ("You can't go down here.", []),
        ("Beware, there will be no return!  Still climb? [yn] (n) n", []),
        ("A trap door in the ceiling opens and a rock falls on your head!", []),
        ("They say that trap doors should always be marked `Caution:  Trap Door'.", []),
    ]

    /// Pets: what a pet does is not the agent's progress, gold or kills included; hurting or
    /// killing it spoils the line.
    static let pet: [Row] = [
        ("The kitten picks up a gold piece.", []),
        ("The little dog drops a gold piece.", []),
        ("The little dog bites the jackal.  The jackal is killed!", []),
        ("The kitten picks up a potion.", []),
        ("You swap places with your kitten.", []),
        ("You stop.  Your little dog is in the way!", []),
        ("A kitten blocks your path.", []),
        ("You kick the kitten.  The kitten yowls!", []),
        ("It yelps!  You kill it!  You hear the rumble of distant thunder...", []),
        ("You swap places with your kitten.  $ - a gold piece.", [.score, .gold]),
    ]

    /// The player's state: hunger, fainting, healing and senses are not progress; gaining a
    /// level is, for score and combat.
    static let status: [Row] = [
        ("You are beginning to feel hungry.", []),
        ("You faint from lack of food.  You regain consciousness.", []),
        ("Your leg feels better.", []),
        ("You feel tough!  You must have been leading a healthy life-style.", []),
        ("The dart was poisoned!  You feel very sick!", []),
        ("You can see again.", []),
        ("Welcome to experience level 2.", [.score, .combat]),
    ]

    /// Sounds: gold heard on the level counts for gold and score; the Oracle's sounds for her.
    static let sounds: [Row] = [
        ("You hear someone counting money.", [.score, .gold]),
        ("You hear the footsteps of a guard on patrol.  It's a wall.", [.score, .gold]),
        ("You hear bubbling water.", []),
        ("You hear a strange wind.", [.oracle]),
        ("You hear convulsive ravings.", [.oracle]),
    ]

    @Test(arguments: items) func itemRules(_ row: Row) { Self.check(row) }
    @Test(arguments: monsters) func monsterRules(_ row: Row) { Self.check(row) }
    @Test(arguments: doors) func doorRules(_ row: Row) { Self.check(row) }
    @Test(arguments: stairs) func stairsRules(_ row: Row) { Self.check(row) }
    @Test(arguments: pet) func petRules(_ row: Row) { Self.check(row) }
    @Test(arguments: status) func statusRules(_ row: Row) { Self.check(row) }
    @Test(arguments: sounds) func soundRules(_ row: Row) { Self.check(row) }

    @Test func theOracleGoalKeepsItsKeyAndOldGoalNamesStillParse() throws {
        #expect(try Goal(key: "oracle") == .oracle)
        #expect(Goal.oracle.key == "oracle")
        for key in ["score", "gold", "combat", "stairs"] { #expect(try Goal(key: key).key == key) }
    }
}
