import Testing
import YendorWire
@testable import YendorRewards

private func smallClassifier(heldOutFraction: Float = 0, seed: UInt64 = 3) throws -> ClassificationRewardModel {
    var c = ClassificationRewardModel.Configuration()
    c.scorer.featureBuckets = 1024
    c.scorer.hiddenSize = 16
    c.scorer.learningRate = 1e-2
    c.scorer.batchSize = 16
    c.minimumLabels = 1
    c.scorer.heldOutFraction = heldOutFraction
    c.binarize = false
    c.scorer.seed = seed
    return try ClassificationRewardModel(configuration: c)
}

private let trainingLabels = [
    LabeledTask.classified("You kill the jackal!", helpful: true),
    LabeledTask.classified("You kill the newt!", helpful: true),
    LabeledTask.classified("You hear bubbling water.", helpful: false),
    LabeledTask.classified("It's a wall.", helpful: false),
]

@Test func featuresNormaliseNumbersSoQuantitiesShareFeatures() {
    let f = CaptionFeaturizer(buckets: 4096)
    #expect(f.words("12 gold pieces") == ["#", "gold", "pieces"])
    #expect(f.features("12 gold pieces.") == f.features("7 Gold pieces!"))
    #expect(f.features("You kill the newt!") != f.features("You kill the rat!"))
    // Bias bucket, 4 words, 3 bigrams.
    #expect(f.features("You kill the newt!").count == 8)
    #expect(f.features("") == [0])
}

@Test func classifierGeneralisesToAnUnseenParaphrase() throws {
    let model = try smallClassifier()
    for label in trainingLabels { model.observe(label) }
    #expect(model.trainStep(maxSteps: 200) == 200)
    for label in trainingLabels {
        let (caption, helpful) = try #require(label.classification)
        #expect((model.probability(of: caption) > 0.5) == helpful)
    }
    let killRat = model.probability(of: "You kill the rat!")
    let solidWall = model.probability(of: "It's a solid wall.")
    #expect(killRat > 0.5)
    #expect(solidWall < 0.5)
    #expect(model.reward(for: "You kill the rat!") == killRat)
}

@Test func classifierTrainingIsDeterministicForASeed() throws {
    let a = try smallClassifier(), b = try smallClassifier()
    for m in [a, b] {
        for label in trainingLabels { m.observe(label) }
        m.trainStep(maxSteps: 30)
    }
    #expect(a.probability(of: "You kill the rat!") == b.probability(of: "You kill the rat!"))
}

@Test func classifierBinarizedRewardIsOneOrZeroAtTheThreshold() throws {
    var c = ClassificationRewardModel.Configuration()
    c.scorer.featureBuckets = 1024; c.scorer.hiddenSize = 16; c.scorer.learningRate = 1e-2; c.scorer.batchSize = 16
    c.minimumLabels = 1; c.scorer.heldOutFraction = 0; c.scorer.seed = 3
    let model = try ClassificationRewardModel(configuration: c)
    for label in trainingLabels { model.observe(label) }
    model.trainStep(maxSteps: 200)
    #expect(model.reward(for: "You kill the rat!") == 1)
    #expect(model.reward(for: "It's a solid wall.") == 0)
    #expect(model.reward(for: "") == 0)
}

@Test func classifierGivesZeroRewardBeforeTheMinimumLabels() throws {
    var c = ClassificationRewardModel.Configuration()
    c.minimumLabels = 3
    c.scorer.heldOutFraction = 0
    let model = try ClassificationRewardModel(configuration: c)
    model.observe(trainingLabels[0])
    #expect(model.trainStep(maxSteps: 10) == 0)
    #expect(model.reward(for: "You kill the jackal!") == 0)
}

@Test func classifierReportsHeldOutAccuracyOnLabelsItNeverTrainedOn() throws {
    let model = try smallClassifier(heldOutFraction: 0.3)
    let names = ["jackal", "newt", "rat", "lichen", "gnome", "kobold", "dwarf", "orc", "hobbit", "goblin",
                 "bat", "wolf", "fox", "coyote", "sewer rat", "grid bug", "acid blob", "yellow mold", "dingo", "imp"]
    for n in names {
        model.observe(.classified("You kill the \(n)!", helpful: true))
        model.observe(.classified("You hear the \(n) in the distance.", helpful: false))
    }
    let heldOut = model.fit.heldOut.keys
    #expect(!heldOut.isEmpty)
    #expect(model.fit.training.count + heldOut.count == 2 * names.count)
    #expect(heldOut.allSatisfy { !model.fit.training.contains($0) })
    model.trainStep(maxSteps: 150)
    // The reported figure is the fraction of held-out captions on the right side of ½.
    var correct = 0
    for caption in heldOut where (model.probability(of: caption) > 0.5) == caption.hasPrefix("You kill") { correct += 1 }
    let expected = Double(correct) / Double(heldOut.count)
    let reported = try #require(model.metrics[.classifierAccuracy])
    #expect(reported == expected)
    #expect(reported >= 0.8)
    #expect(model.metrics[.heldOutLabels] == Double(heldOut.count))
}

@Test func classifierQueriesUnlabeledCaptionsOnly() throws {
    let model = try smallClassifier()
    model.observe(trainingLabels[0])
    model.observe(captions: ["You kill the jackal!", "You kill the rat!", " "], captionIndex: [0, 1, 2])
    #expect(model.captionsWanted(limit: 5) == [.classify(caption: "You kill the rat!")])
}
