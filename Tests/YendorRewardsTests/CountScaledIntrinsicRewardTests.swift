import Testing
import YendorWire
import YendorLearner
@testable import YendorRewards

private func scaling(_ beta: Float) throws -> CountScaledIntrinsicReward {
    var c = CountScaledIntrinsicReward.Configuration()
    c.countExponent = beta
    return try CountScaledIntrinsicReward(configuration: c)
}

@Test func countScalingDividesByTheCountToTheBeta() throws {
    #expect(try scaling(0.5).scaled(1, count: 4) == 0.5)
    #expect(try scaling(3).scaled(1, count: 2) == 0.125)
    #expect(try scaling(3).scaled(2, count: 1) == 2)
    #expect(try scaling(0).scaled(0.7, count: 9) == 0.7)
    #expect(try scaling(3).scaled(0, count: 5) == 0)
    #expect(CountScaledIntrinsicReward.Configuration().countExponent == 3)
}

@Test func countScalingFillsEveryStepOfABlockFromTheModel() throws {
    let model = try RetrievalRewardModel()
    model.observe(.classified("You kill the newt!", helpful: true))
    model.observe(.classified("It's a wall.", helpful: false))
    // T = 3, B = 2: the newt kill is seen once, then again (N = 2) in env 0.
    let block = CaptionBlock(captions: ["", "You kill the newt!", "It's a wall."],
                             captionIndex: [1, 0, 2, 2, 1, 0],
                             captionCount: [1, 1, 1, 2, 2, 2])
    var rewards: [Float] = []
    let summary = try scaling(0.5).intrinsicRewards(for: block, model: model, into: &rewards)
    let expected: [Float] = [1, 0, 0, 0, 1 / Float(2).squareRoot(), 0]
    #expect(rewards.count == 6)
    for (r, e) in zip(rewards, expected) { #expect(abs(r - e) < 1e-6) }
    #expect(abs(summary.mean - Double(1 + 1 / Float(2).squareRoot()) / 6) < 1e-6)
    #expect(summary.sparsity == 4.0 / 6)
    #expect(summary.labeledFraction == 4.0 / 6)
}

@Test func malformedBlocksAreRejectedNamingTheEntry() throws {
    let model = NoRewardModel()
    var rewards: [Float] = []
    let badIndex = CaptionBlock(captions: ["a"], captionIndex: [0, 3], captionCount: [1, 1])
    #expect(throws: RewardError.badBlock("captionIndex[1] = 3 is outside 0..<1")) {
        try scaling(3).intrinsicRewards(for: badIndex, model: model, into: &rewards)
    }
    let badCount = CaptionBlock(captions: ["a"], captionIndex: [0, 0], captionCount: [1, 0])
    #expect(throws: RewardError.badBlock("captionCount[1] = 0 must be >= 1 (the count includes this step)")) {
        try scaling(3).intrinsicRewards(for: badCount, model: model, into: &rewards)
    }
    let badSize = CaptionBlock(captions: ["a"], captionIndex: [0, 0], captionCount: [1])
    #expect(throws: RewardError.self) { try badSize.validate() }
}

@Test func negativeCountExponentIsRejectedNamingTheField() {
    #expect(throws: RewardError.invalidConfiguration(field: "countExponent", reason: "must be finite and >= 0, got -1.0")) {
        try scaling(-1)
    }
}
