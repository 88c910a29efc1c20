import Foundation
import Testing
import YendorWire
import YendorNN
@testable import YendorRewards

/// Saves `model`, writes and reads a checkpoint file's bytes, and loads into `fresh`.
private func roundTrip(_ model: any RewardModel, into fresh: any RewardModel) throws {
    let state = model.saveState()
    let (tensors, metadata) = try TensorFile.decode(TensorFile.encode(state.tensors, metadata: state.metadata))
    try fresh.loadState(RewardModelState(tensors: tensors, metadata: metadata))
}

private let probes = ["You kill the rat!", "It's a solid wall.", "You find a key.", "", "You kill the newt!"]

@Test func retrievalStateRoundTripGivesIdenticalRewards() throws {
    let a = try RetrievalRewardModel(), b = try RetrievalRewardModel()
    a.observe(.classified("You kill the newt!", helpful: true))
    a.observe(.classified("It's a wall.", helpful: false))
    try roundTrip(a, into: b)
    for c in probes + ["It's a wall."] { #expect(a.reward(for: c) == b.reward(for: c)) }
    #expect(b.metrics[.labels] == 2)
}

@Test func classificationStateRoundTripGivesIdenticalRewardsAndTraining() throws {
    var c = ClassificationRewardModel.Configuration()
    c.scorer.featureBuckets = 512; c.scorer.hiddenSize = 8; c.minimumLabels = 1; c.binarize = false; c.scorer.heldOutFraction = 0.3
    let a = try ClassificationRewardModel(configuration: c), b = try ClassificationRewardModel(configuration: c)
    for (i, name) in ["jackal", "newt", "gnome", "orc", "bat", "fox"].enumerated() {
        a.observe(.classified("You kill the \(name)!", helpful: i % 3 != 0))
        a.observe(.classified("You hear a \(name).", helpful: false))
    }
    a.trainStep(maxSteps: 20)
    try roundTrip(a, into: b)
    #expect(a.saveState().tensors.allSatisfy { $0.name.hasPrefix("rewards.") })
    for p in probes { #expect(a.reward(for: p) == b.reward(for: p)) }
    #expect(a.metrics == b.metrics)
    // Optimiser moments and the sampling generator resume too: training stays in lockstep.
    a.trainStep(maxSteps: 5)
    b.trainStep(maxSteps: 5)
    for p in probes { #expect(a.probability(of: p) == b.probability(of: p)) }
}

@Test func rankingStateRoundTripGivesIdenticalRewards() throws {
    var c = RankingRewardModel.Configuration()
    c.scorer.featureBuckets = 512; c.scorer.hiddenSize = 8; c.minimumPreferences = 1; c.scorer.heldOutFraction = 0.3
    let a = try RankingRewardModel(configuration: c), b = try RankingRewardModel(configuration: c)
    let captions = ["It's a wall.", "You kill the newt!", "You find a key.", "You hear a door open."]
    for i in 0..<4 { for j in 0..<4 where i != j {
        a.observe(.ranked(captions[i], captions[j], i > j ? .first : (i == 0 && j == 3 ? .tie : .second)))
    } }
    a.trainStep(maxSteps: 20)
    a.observe(captions: captions, captionIndex: [0, 1, 2, 3, 1, 1])
    try roundTrip(a, into: b)
    for p in probes + captions { #expect(a.reward(for: p) == b.reward(for: p)) }
    #expect(a.normalizer == b.normalizer)
    #expect(a.threshold == b.threshold)
    #expect(a.metrics == b.metrics)
    a.trainStep(maxSteps: 3)
    b.trainStep(maxSteps: 3)
    for p in captions { #expect(a.score(of: p) == b.score(of: p)) }
}

@Test func loadingAnotherModelsStateFails() throws {
    let retrieval = try RetrievalRewardModel()
    #expect(throws: RewardError.badState("state is for model 'none', not 'retrieval'")) { try retrieval.loadState(NoRewardModel().saveState()) }
    let classifier = try ClassificationRewardModel()
    #expect(throws: RewardError.badState("state is for model 'retrieval', not 'classification'")) { try classifier.loadState(retrieval.saveState()) }
    #expect(throws: RewardError.badState("state is for model 'ranking', not 'none'")) { try NoRewardModel().loadState(try RankingRewardModel().saveState()) }
    let garbage = RewardModelState(tensors: [], metadata: Data("{}".utf8))
    #expect(throws: RewardError.self, "a document without a model name") { try classifier.loadState(garbage) }
}

@Test func registryBuildsEveryModelByName() throws {
    for name in RewardModelRegistry.names {
        #expect(try RewardModelRegistry.makeModel(named: name).name == name)
    }
    #expect(try RewardModelRegistry.makeModel(named: "none").reward(for: "You kill the newt!") == 0)
}

@Test func registryRejectsAnUnknownNameListingTheKnownOnes() {
    #expect(throws: RewardError.unknownModel(name: "motif", known: ["none", "retrieval", "classification", "ranking"])) {
        try RewardModelRegistry.makeModel(named: "motif")
    }
    #expect(RewardError.unknownModel(name: "motif", known: RewardModelRegistry.names).description.contains("none, retrieval, classification, ranking"))
}

@Test func invalidOptionsAreRejectedNamingTheField() {
    var c = RewardModelRegistry.Configuration()
    c.model = .classification
    c.classification.scorer.hiddenSize = 0
    #expect(throws: RewardError.invalidConfiguration(field: "classification.scorer.hiddenSize", reason: "must be >= 1, got 0")) {
        try RewardModelRegistry.makeModel(c)
    }
    c = RewardModelRegistry.Configuration()
    c.model = .ranking
    c.ranking.thresholdQuantile = 1.5
    #expect(throws: RewardError.invalidConfiguration(field: "ranking.thresholdQuantile", reason: "must be in [0, 1], got 1.5")) {
        try RewardModelRegistry.makeModel(c)
    }
}

/// A diverged scorer's loss or normaliser is NaN or infinite, which plain JSON refuses: the state
/// was written with empty metadata, and every later resume failed.
@Test func aStateHoldingNonFiniteNumbersSavesAndLoads() throws {
    struct Document: Codable, Equatable { var model = "ranking"; var lastLoss: Float? = .nan; var mean = Double.infinity; var variance = -Double.infinity }
    let state = RewardModelState.encode(Document(), tensors: [])
    #expect(!state.metadata.isEmpty)
    let back = try state.decode(Document.self, model: "ranking")
    #expect(back.lastLoss?.isNaN == true && back.mean == .infinity && back.variance == -.infinity)
}

/// A checkpoint encodes the reward model's snapshot on a thread of its own while training goes on:
/// nothing a model learns after the snapshot may reach it.
@Test func aSnapshotHoldsTheStateAsItWasWhenTaken() throws {
    var cc = ClassificationRewardModel.Configuration()
    cc.scorer.featureBuckets = 512; cc.scorer.hiddenSize = 8; cc.minimumLabels = 1
    var rc = RankingRewardModel.Configuration()
    rc.scorer.featureBuckets = 512; rc.scorer.hiddenSize = 8; rc.minimumPreferences = 1
    let models: [any RewardModel] = [try RetrievalRewardModel(), try ClassificationRewardModel(configuration: cc),
                                     try RankingRewardModel(configuration: rc), NoRewardModel()]
    let captions = ["You kill the newt!", "It's a wall.", "You find a key.", "You hear a door open."]
    for model in models {
        func teach(_ round: Int) {
            for (i, caption) in captions.enumerated() {
                model.observe(.classified("\(caption) \(round)", helpful: i % 2 == 0))
                model.observe(.ranked("\(caption) \(round)", captions[(i + 1) % 4], i % 2 == 0 ? .first : .second))
            }
            model.observe(captions: captions, captionIndex: [0, 1, 2, 3, 2])
            model.trainStep(maxSteps: 5)
        }
        teach(0)
        let then = model.saveState()
        let snapshot = model.snapshot()
        teach(1)
        #expect(snapshot.state() == then, "\(model.name)")
        if model.name != "none" { #expect(model.saveState() != then, "\(model.name) learned nothing after the snapshot: the check shows nothing") }
    }
}
