import Testing
@testable import YendorAnnotator

@Suite struct LexiconLabelerTests {
    static let table: [(caption: String, goal: Goal, helpful: Bool)] = [
        ("You kill the jackal!", .combat, true),
        ("You hit the newt.", .combat, true),
        ("You miss the grid bug.", .combat, false),
        ("The jackal bites!", .combat, false),
        ("You see here 12 gold pieces.", .gold, true),
        ("$ - 7 gold pieces.", .gold, true),
        ("7 gold pieces.", .gold, true),
        ("a gold piece.", .gold, true),
        ("The kitten picks up a gold piece.", .gold, false),
        ("You kill the jackal!", .gold, false),
        ("There is a staircase down here.", .stairs, true),
        ("You descend to level 2.", .stairs, true),
        ("That door is closed.", .stairs, false),
        ("There is a staircase down here.  The jackal bites!", .stairs, true),
        ("The jackal bites!  You miss the jackal.", .stairs, false),
        ("As you kick the door, it crashes open!", .stairs, true),
        ("You enter a dark room.", .stairs, true),
        ("You can't go down here.", .stairs, false),
        ("You kill the sewer rat!", .score, true),
        ("Welcome to experience level 2.", .score, true),
        ("It's solid stone.", .score, false),
        ("", .score, false),
        ("You find a hidden fountain.", .custom("drink from a fountain"), true),
        ("You kill the jackal!", .custom("drink from a fountain"), false),
        // NLE's `eat` goal: its words count whole (or inflected), not inside other words.
        ("You finish eating the food ration.", .custom("find food and eat when hungry"), true),
        ("There is a newt corpse here; eat it? [ynq] (n)", .custom("find food and eat when hungry"), true),
        ("You are beginning to feel hungry.", .custom("find food and eat when hungry"), true),
        ("With great effort you move the boulder.", .custom("find food and eat when hungry"), false),
        ("A board beneath you squeaks a B flat loudly.", .custom("find food and eat when hungry"), false),
        ("You see here a leather armor.", .custom("find food and eat when hungry"), false),
        ("Never use a wand of death.", .custom("find food and eat when hungry"), false),
        ("When in a maze follow the right wall and you will never get lost.", .custom("find food and eat when hungry"), false),
    ]

    @Test(arguments: table.indices)
    func captionTableGetsTheExpectedLabel(index: Int) async {
        let row = Self.table[index]
        let answers = await LexiconLabeler().label([.classify(row.caption, goal: row.goal)])
        #expect(answers.map(\.outcome) == [.labeled(row.helpful ? .helpful : .notHelpful)], "\(row.caption) for \(row.goal)")
    }

    @Test func rankingPrefersTheHelpfulCaptionAndTiesOtherwise() async {
        let answers = await LexiconLabeler().label([
            .rank("You miss the newt.", "You kill the newt!", goal: .combat),
            .rank("You kill the newt!", "You miss the newt.", goal: .combat),
            .rank("You kill the newt!", "You kill the jackal!", goal: .combat),
            .rank("It's a wall.", "Nothing happens.", goal: .combat),
        ])
        #expect(answers.map(\.outcome) == [.labeled(.second), .labeled(.first), .labeled(.tie), .labeled(.tie)])
    }

    @Test func identityNamesTheLexiconAndItsRulesVersion() {
        #expect(LexiconLabeler().identity == LabelerIdentity(backend: "lexicon", model: "lexicon", promptVersion: LexiconLabeler.rulesVersion))
    }
}
