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
    ]

    @Test(arguments: ranking.indices)
    func rankingAnswersParseStrictly(index: Int) {
        let row = Self.ranking[index]
        #expect(LabelParser.ranking(row.text) == row.label, "\(row.text)")
    }
}
