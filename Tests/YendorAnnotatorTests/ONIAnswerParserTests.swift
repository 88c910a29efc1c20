import Testing
@testable import YendorAnnotator

/// Answers in ONI's format (`<label>FOO</label>` / BAR, `("best_description": 1)`), read as
/// strictly as Yendor's own format.
@Suite struct ONIAnswerParserTests {
    static let classifications: [(String, Label?)] = [
        ("<knowledge> NetHack is a roguelike. </knowledge>\n<analysis> Gold was taken. </analysis>\n<label> FOO </label>", .helpful),
        ("<label>BAR</label>", .notHelpful),
        ("<label> [FOO] </label>", .helpful),
        ("<label>**bar**</label>", .notHelpful),
        ("<LABEL>foo.</LABEL>", .helpful),
        // A last label whose closing tag was cut off still counts.
        ("<analysis>A wall.</analysis>\n<label> BAR", .notHelpful),
        // The last label decides (a model that corrects itself).
        ("<label>FOO</label> On reflection:\n<label>BAR</label>", .notHelpful),
        ("<think>FOO or BAR? <label>FOO</label></think>\n<label>BAR</label>", .notHelpful),
        // Refused: no label, both labels, Yendor's format, prose.
        ("<label>FOO/BAR</label>", nil),
        ("<label>FOO or BAR</label>", nil),
        ("Answer: helpful", nil),
        ("The message is FOO.", nil),
        ("", nil),
    ]

    @Test(arguments: classifications)
    func classificationAnswers(text: String, expected: Label?) {
        #expect(ONIAnswerParser.classification(text) == expected, "\(text)")
        #expect(LabelParser.label(text, for: .classify(caption: "x"), format: .oniTags) == expected)
    }

    static let rankings: [(String, Label?)] = [
        ("Description 2 shows a kill.\n(\"best_description\": 2)", .second),
        ("(\"best_description\": 1)", .first),
        ("(\"best_description\": None)", .tie),
        ("best_description: none", .tie),
        ("(\"best_message\": 2)", .second),
        ("First I thought (\"best_description\": 1) but (\"best_description\": 2)", .second),
        ("(\"best_description\": 12)", nil),
        ("(\"best_description\": 3)", nil),
        ("Answer: A", nil),
    ]

    @Test(arguments: rankings)
    func rankingAnswers(text: String, expected: Label?) {
        #expect(ONIAnswerParser.ranking(text) == expected, "\(text)")
    }

    @Test func theYendorFormatStillParsesAsBeforeAndRefusesONIs() {
        #expect(LabelParser.label("Answer: helpful", for: .classify(caption: "x"), format: .answerLine) == .helpful)
        #expect(LabelParser.label("<label>FOO</label>", for: .classify(caption: "x"), format: .answerLine) == nil)
    }

    @Test func theONIPromptSetAsksForItsOwnFormatAndValidates() throws {
        let prompts = PromptSet.oni
        try prompts.validate()
        #expect(prompts.answerFormat == .oniTags)
        #expect(PromptSet.named("oni") == prompts && PromptSet.named("yendor") == .builtIn && PromptSet.named("x") == nil)
        let text = prompts.render(.classify("You kill the jackal!", goal: .combat))
        #expect(text.contains("\"You kill the jackal!\"") && text.contains(prompts.describe(.combat)))
        #expect(text.contains("<label> [FOO or BAR] </label>"))
        let rank = prompts.render(.rank("You miss.", "You kill the newt!", goal: .oracle))
        #expect(rank.contains("\"You miss.\"") && rank.contains("\"You kill the newt!\"") && rank.contains("best_description"))
        #expect(prompts.version != PromptSet.builtIn.version)
    }
}
