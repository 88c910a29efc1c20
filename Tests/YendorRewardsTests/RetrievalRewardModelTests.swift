import Testing
import YendorWire
@testable import YendorRewards

@Test func retrievalRewardsHelpfulLabelsWithOneAndEverythingElseWithZero() throws {
    let model = try RetrievalRewardModel()
    model.observe(.classified("You kill the newt!", helpful: true))
    model.observe(.classified("It's a wall.", helpful: false))
    #expect(model.reward(for: "You kill the newt!") == 1)
    #expect(model.reward(for: "It's a wall.") == 0)
    #expect(model.reward(for: "You kill the rat!") == 0)
    #expect(model.isLabeled("It's a wall."))
    #expect(!model.isLabeled("You kill the rat!"))
}

@Test func retrievalLatestLabelForACaptionWins() throws {
    let model = try RetrievalRewardModel()
    model.observe(.classified("You find a key.", helpful: false))
    model.observe(.classified("You find a key.", helpful: true))
    #expect(model.reward(for: "You find a key.") == 1)
    #expect(model.metrics[.labels] == 2)
    #expect(model.metrics[.labeledCaptions] == 1)
}

/// The helpful fraction, kept up to date label by label, is the table's through relabels, the
/// oldest label forgotten when full, and a checkpoint restored: worked by hand for a table of two.
@Test func retrievalHelpfulFractionFollowsRelabelsEvictionsAndARestore() throws {
    var configuration = RetrievalRewardModel.Configuration()
    configuration.maxLabels = 2
    let model = try RetrievalRewardModel(configuration: configuration)
    var fractions: [Double?] = []
    for (caption, helpful) in [("a", true), ("b", false), ("a", false), ("c", true), ("c", true), ("d", true)] {
        model.observe(.classified(caption, helpful: helpful))
        fractions.append(model.metrics[.helpfulFraction])
    }
    // {a+} 1; {a+, b-} ½; {a-, b-} 0; c evicts a: {b-, c+} ½; c again ½; d evicts b: {c+, d+} 1.
    #expect(fractions == [1, 0.5, 0, 0.5, 0.5, 1])
    let restored = try RetrievalRewardModel(configuration: configuration)
    try restored.loadState(model.saveState())
    #expect(restored.metrics[.helpfulFraction] == 1 && restored.metrics[.labeledCaptions] == 2)
    restored.observe(.classified("e", helpful: false))  // evicts c
    #expect(restored.metrics[.helpfulFraction] == 0.5)
}

@Test func retrievalAsksOnceForEachUnseenCaptionAndReportsCoverage() throws {
    let model = try RetrievalRewardModel()
    let captions = ["", "You kill the newt!", "It's a wall.", "You hear bubbling water."]
    model.observe(.classified("It's a wall.", helpful: false))
    model.observe(captions: captions, captionIndex: [0, 1, 2, 3, 1, 1])
    let first = model.captionsWanted(limit: 10)
    // Blank captions are never asked about; labeled ones neither.
    #expect(first == [.classify(caption: "You kill the newt!"), .classify(caption: "You hear bubbling water.")])
    // Seen again while pending: not asked again.
    model.observe(captions: captions, captionIndex: [1, 3])
    #expect(model.captionsWanted(limit: 10).isEmpty)
    #expect(model.metrics[.coverage] == 0)
    model.observe(.classified("You kill the newt!", helpful: true))
    #expect(model.metrics[.coverage] == 0.5)
}

@Test func retrievalForgetsTheOldestLabelWhenFull() throws {
    var c = RetrievalRewardModel.Configuration()
    c.maxLabels = 2
    let model = try RetrievalRewardModel(configuration: c)
    for name in ["a", "b", "c"] { model.observe(.classified("You kill the \(name)!", helpful: true)) }
    #expect(model.reward(for: "You kill the a!") == 0)
    #expect(model.reward(for: "You kill the b!") == 1)
    #expect(model.reward(for: "You kill the c!") == 1)
}
