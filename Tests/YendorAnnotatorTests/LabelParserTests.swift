import Testing
@testable import YendorAnnotator

@Suite struct LabelParserTests {
    static let classification: [(text: String, label: Label?)] = [
        ("Answer: helpful", .helpful),
        ("Answer: not helpful", .notHelpful),
        ("The jackal is dead, which is progress.\nAnswer: Helpful.", .helpful),
        ("**Answer:** not helpful", .notHelpful),
        ("helpful", .helpful),
        (" Not helpful\nbecause nothing happened", .notHelpful),
        ("Answer: helpful\nWait, no.\nAnswer: not helpful", .notHelpful),
        ("I think this might be useful.", nil),
        ("Answer: maybe", nil),
        ("helpful or not helpful", nil),
        ("", nil),
        // The forms real models write on their last line.
        ("The jackal is dead, which is progress. Answer: helpful", .helpful),
        ("Killing a monster helps. **Answer:** Helpful", .helpful),
        ("**Answer: not helpful**", .notHelpful),
        ("**Answer**: Not helpful.", .notHelpful),
        ("ANSWER: HELPFUL!", .helpful),
        ("answer : not helpful", .notHelpful),
        ("Final answer: helpful", .helpful),
        ("Answer: `not helpful`", .notHelpful),
        ("Answer: \"helpful\"", .helpful),
        ("Answer: helpful (killing a monster is progress)", .helpful),
        ("Reasoning: the door is closed, nothing happened.\n\nNot helpful.", .notHelpful),
        ("The agent gains gold.\n\n**Helpful**", .helpful),
        ("- Answer: not helpful", .notHelpful),
        ("### Answer\nAnswer:\nhelpful", .helpful),
        ("Answer: \\boxed{helpful}", .helpful),
        ("<think>The answer: not helpful? No.\nAnswer: not helpful\n</think>\nAnswer: helpful", .helpful),
        ("Answer: yes", .helpful),
        ("Answer: no", .notHelpful),
        // Still no guessing.
        ("Answer: helpful, but only a little", nil),
        ("Answer: helpful or not helpful", nil),
        ("<think>It is helpful.</think>", nil),
        ("The message is helpful for the goal.", nil),
    ]

    @Test(arguments: classification.indices)
    func classificationAnswersParseStrictly(index: Int) {
        let row = Self.classification[index]
        #expect(LabelParser.classification(row.text) == row.label, "\(row.text)")
    }

    static let ranking: [(text: String, label: Label?)] = [
        ("Answer: A", .first),
        ("Answer: B", .second),
        ("Answer: tie", .tie),
        ("Caption B shows more progress.\nAnswer: B", .second),
        ("B", .second),
        ("Answer: helpful", nil),
        ("Both are fine.", nil),
        ("Caption A is routine, B finds the stairs. **Answer:** B", .second),
        ("Answer: (A)", .first),
        ("Answer: Caption B.", .second),
        ("answer: TIE", .tie),
        ("Answer: A or B", nil),
    ]

    @Test(arguments: ranking.indices)
    func rankingAnswersParseStrictly(index: Int) {
        let row = Self.ranking[index]
        #expect(LabelParser.ranking(row.text) == row.label, "\(row.text)")
    }
}
