import Foundation
import Testing
import YendorNN
@testable import YendorLearner
import YendorPolicy
import YendorSupport

@Test func actReturnsOneValidActionLogProbAndValuePerSample() throws {
    let policy = try PolicyNetwork(configuration: tinyPolicyConfiguration())
    let batch = randomBatch(seed: 1).observations
    var output = PolicyOutput()
    var rng = SplitMix64(seed: 5)
    try policy.act(batch, into: &output, using: &rng)
    #expect(output.actions.count == batch.count && output.logProbs.count == batch.count && output.values.count == batch.count)
    #expect(output.actions.allSatisfy { $0 >= 0 && $0 < 4 })
    #expect(output.logProbs.allSatisfy { $0 <= 0 && $0 > -10 })
    // Same seed, same samples.
    var again = PolicyOutput()
    var rng2 = SplitMix64(seed: 5)
    try policy.act(batch, into: &again, using: &rng2)
    #expect(again.actions == output.actions && again.logProbs == output.logProbs)
}

@Test func sampledActionFrequenciesFollowThePolicy() throws {
    // Make the policy head prefer action 2 strongly through its bias.
    let policy = try PolicyNetwork(configuration: tinyPolicyConfiguration())
    let head = policy.parameters.first { $0.name == "policy.bias" }!
    head.value = [0, 0, 3, 0]  // p(2) = e³/(e³+3) ≈ 0.87
    let batch = ObservationBatch(count: 2000, spec: tinyPolicyConfiguration().observation)
    var output = PolicyOutput()
    var rng = SplitMix64(seed: 9)
    try policy.act(batch, into: &output, using: &rng)
    let share = Float(output.actions.filter { $0 == 2 }.count) / 2000
    #expect(abs(share - expf(3) / (expf(3) + 3)) < 0.04)
}

/// `yendor evaluate --greedy`: each row's most probable action, by the logits worked out apart,
/// whatever the random numbers.
@Test func greedyActionsAreEachRowsMostProbableWhateverTheSeed() throws {
    let policy = try PolicyNetwork(configuration: tinyPolicyConfiguration())
    let batch = randomBatch(seed: 3).observations
    let (logits, _) = try policy.forward(batch)
    let a = tinyPolicyConfiguration().actionCount
    var outputs: [PolicyOutput] = []
    for seed: UInt64 in [1, 2] {
        var output = PolicyOutput(), rng = SplitMix64(seed: seed)
        try policy.act(batch, into: &output, using: &rng, selection: .greedy)
        outputs.append(output)
    }
    #expect(outputs[0].actions == outputs[1].actions)
    for r in 0..<batch.count {
        let row = Array(logits.data[r * a..<(r + 1) * a])
        let best = row.indices.max { row[$0] < row[$1] }!
        #expect(outputs[0].actions[r] == Int32(best), "row \(r): \(row)")
        let logSum = logf(row.map { expf($0 - row[best]) }.reduce(0, +)) + row[best]
        #expect(abs(outputs[0].logProbs[r] - (row[best] - logSum)) < 1e-5)
    }
    // Sampling, by contrast, follows the seed: the two differ somewhere over the batch.
    var sampled = PolicyOutput(), rng = SplitMix64(seed: 1)
    try policy.act(batch, into: &sampled, using: &rng)
    var other = PolicyOutput(), rng2 = SplitMix64(seed: 2)
    try policy.act(batch, into: &other, using: &rng2)
    #expect(sampled.actions != other.actions)
}

@Test func namedTensorsRoundTripIntoAFreshNetwork() throws {
    var other = tinyPolicyConfiguration()
    other.seed = 99
    let a = try PolicyNetwork(configuration: tinyPolicyConfiguration())
    let b = try PolicyNetwork(configuration: other)
    #expect(a.namedTensors() != b.namedTensors())
    try b.load(namedTensors: a.namedTensors())
    #expect(a.namedTensors() == b.namedTensors())
    let obs = randomBatch(seed: 2).observations
    #expect(try a.forward(obs).logits.data == b.forward(obs).logits.data)
}

@Test func loadRejectsWrongShapeMissingAndNonFiniteTensors() throws {
    let policy = try PolicyNetwork(configuration: tinyPolicyConfiguration())
    var tensors = policy.namedTensors()
    tensors[0].shape = [1]
    #expect(throws: LearnerError.self) { try policy.load(namedTensors: tensors) }
    #expect(throws: LearnerError.badCheckpoint("missing tensor glyph.embedding.table")) { try policy.load(namedTensors: Array(policy.namedTensors().dropFirst())) }
    var nan = policy.namedTensors()
    nan[1].values[0] = .nan
    #expect(throws: LearnerError.nonFiniteWeights(parameter: nan[1].name)) { try policy.load(namedTensors: nan) }
}

@Test func badObservationsAreRejectedByName() throws {
    let policy = try PolicyNetwork(configuration: tinyPolicyConfiguration())
    var obs = randomBatch(seed: 3).observations
    obs.crop[5] = 8
    #expect(throws: LearnerError.badObservation("crop[5] = 8 is outside 0..<8")) { try policy.forward(obs) }
}

@Test func captionHasherGivesEqualBagsForEqualWordsAndReservesBucketZeroForEmpty() {
    var spec = tinyPolicyConfiguration().observation
    spec.captionBytes = 64
    var batch = ObservationBatch(count: 3, spec: spec)
    batch.setCaption("You kill the jackal!", at: 0)
    batch.setCaption("you KILL the  jackal", at: 1)
    batch.setCaption("", at: 2)
    var indices: [Int32] = [], offsets: [Int32] = []
    CaptionHasher(buckets: 1000).encode(batch, indices: &indices, offsets: &offsets)
    #expect(offsets == [0, 4, 8, 9])
    #expect(Array(indices[0..<4]) == Array(indices[4..<8]))
    #expect(indices[8] == 0 && indices[0..<8].allSatisfy { $0 >= 1 })
}

@Test func configurationValidationNamesTheBadField() {
    var c = tinyPolicyConfiguration()
    c.actionCount = 1
    #expect(throws: LearnerError.badConfiguration("actionCount must be >= 2")) { try PolicyNetwork(configuration: c) }
}

/// The size limit counts parameters from the configuration without building the network: the
/// count must be the built network's, whatever the core, convolutions and layer norm.
@Test func theParameterCountFromTheConfigurationIsTheBuiltNetworks() throws {
    var configurations = [tinyPolicyConfiguration(), PolicyNetwork.Configuration()]
    var gru = tinyPolicyConfiguration(); gru.core = .gru; configurations.append(gru)
    var plain = tinyPolicyConfiguration(); plain.convolutionChannels = []; plain.coreLayerNorm = false; configurations.append(plain)
    var deep = tinyPolicyConfiguration(); deep.convolutionChannels = [3, 5, 2]; deep.convolutionKernel = 1; deep.coreLayers = 4; configurations.append(deep)
    for c in configurations {
        let built = try PolicyNetwork(configuration: c).parameters.reduce(0) { $0 + $1.value.count }
        #expect(c.parameterCount == built)
    }
}

/// Trial C7: `model.core_width` of 2^31 aborted the learner allocating 1.6 TB, and Int.max widths
/// trapped in arithmetic; such networks are refused, naming the field, before anything is allocated.
@Test func aNetworkPastTheSizeLimitIsRefusedBeforeAnythingIsAllocated() {
    var wide = PolicyNetwork.Configuration(); wide.coreWidth = 1 << 31
    var deep = PolicyNetwork.Configuration(); deep.coreLayers = .max
    var huge = PolicyNetwork.Configuration(); huge.convolutionChannels = [.max, .max]
    var big = PolicyNetwork.Configuration(); big.coreWidth = 20_000  // every width allowed, the product not
    for c in [wide, deep, huge, big] {
        #expect(throws: LearnerError.self) { try PolicyNetwork(configuration: c) }
    }
    #expect(huge.parameterCount == nil)
    #expect(big.parameterCount.map { $0 > PolicyNetwork.Configuration.maxParameterCount } == true)
}
