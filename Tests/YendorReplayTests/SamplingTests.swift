import Testing
import YendorWire
@testable import YendorReplay

@Suite struct SamplingTests {
    @Test func uniformSamplingPicksEveryItemAboutEquallyOften() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 10, sampler: .uniform, maxTimesSampled: nil, seed: 1))
        for i in 1...10 { _ = try buffer.insert(testBatch(i)) }
        let draws = 20_000
        var hits: [UInt64: Int] = [:]
        for item in buffer.sample(count: draws) {
            hits[item.key, default: 0] += 1
            #expect(item.probability == 0.1)
            #expect(item.importanceWeight == 1)
        }
        // Expected 2,000 each, standard deviation about 42: ±200 is almost 5 deviations.
        #expect(hits.count == 10)
        for (key, n) in hits { #expect(abs(n - 2000) <= 200, "item \(key) drawn \(n) times") }
    }

    @Test func uniformSamplingRemovesItemsAfterMaxTimesSampled() throws {
        var buffer = try ReplayBuffer(configuration: .init(sampler: .uniform, maxTimesSampled: 2, seed: 3))
        for i in 1...3 { _ = try buffer.insert(testBatch(i)) }
        #expect(buffer.canSample(count: 6))
        #expect(!buffer.canSample(count: 7))
        let drawn = buffer.sample(count: 6)
        #expect(Dictionary(grouping: drawn, by: \.key).mapValues(\.count) == [1: 2, 2: 2, 3: 2])
        #expect(buffer.count == 0)
        #expect(buffer.statistics.consumed == 3)
    }

    @Test(arguments: [(1.0, [1.0, 2, 3, 4]), (0.5, [1.0, 4, 9, 16])])
    func prioritizedProbabilitiesAndWeightsMatchHandComputedValues(alpha: Double, priorities: [Double]) throws {
        // Either way p^alpha = 1, 2, 3, 4: P = 0.1, 0.2, 0.3, 0.4. With beta = 0.5 the weight of
        // item i is (P_min / P_i)^0.5 = (0.1 / P_i)^0.5: 1, 0.7071…, 0.5773…, 0.5.
        var buffer = try ReplayBuffer(configuration: .init(sampler: .prioritized(alpha: alpha, beta: 0.5),
                                                           maxTimesSampled: nil, seed: 11))
        for (i, p) in priorities.enumerated() { _ = try buffer.insert(testBatch(i + 1), priority: p) }
        let expectedP: [UInt64: Double] = [1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4]
        let expectedW: [UInt64: Double] = [1: 1, 2: 0.5.squareRoot(), 3: (1.0 / 3).squareRoot(), 4: 0.5]
        var hits: [UInt64: Int] = [:]
        let draws = 40_000
        for item in buffer.sample(count: draws) {
            hits[item.key, default: 0] += 1
            #expect(abs(item.probability - expectedP[item.key]!) < 1e-12)
            #expect(abs(item.importanceWeight - expectedW[item.key]!) < 1e-12)
        }
        // Frequencies: the standard deviation for P = 0.4 is about 0.0024; 0.012 is 5 of them.
        for (key, p) in expectedP {
            #expect(abs(Double(hits[key, default: 0]) / Double(draws) - p) < 0.012, "item \(key)")
        }
    }

    @Test func updatedPrioritiesChangeProbabilitiesAndWeights() throws {
        var buffer = try ReplayBuffer(configuration: .init(sampler: .prioritized(alpha: 1, beta: 1),
                                                           maxTimesSampled: nil, seed: 5))
        for i in 1...4 { _ = try buffer.insert(testBatch(i), priority: Double(i)) }
        // 6, 2, 3, 4 (sum 15); item 99 is not held and is skipped.
        #expect(try buffer.updatePriorities([(key: 1, priority: 6), (key: 99, priority: 2)]) == 1)
        #expect(buffer.priority(of: 1) == 6)
        #expect(buffer.tree!.total == 15)
        #expect(buffer.tree!.minimum == 2)
        var hits: [UInt64: Int] = [:]
        for item in buffer.sample(count: 30_000) {
            hits[item.key, default: 0] += 1
            let p = buffer.priority(of: item.key)! / 15
            #expect(abs(item.probability - p) < 1e-12)
            // beta = 1: weight = P_min / P = 2 / priority.
            #expect(abs(item.importanceWeight - 2 / buffer.priority(of: item.key)!) < 1e-12)
        }
        #expect(abs(Double(hits[1]!) / 30_000 - 0.4) < 0.015)
        #expect(abs(Double(hits[2]!) / 30_000 - 2.0 / 15) < 0.015)
    }

    @Test func itemsInsertedWithoutPriorityGetTheLargestSeen() throws {
        var buffer = try ReplayBuffer(configuration: .init(sampler: .prioritized(alpha: 1, beta: 0), maxTimesSampled: nil))
        _ = try buffer.insert(testBatch(1))
        #expect(buffer.priority(of: 1) == 1)
        _ = try buffer.insert(testBatch(2), priority: 7)
        _ = try buffer.insert(testBatch(3))
        #expect(buffer.priority(of: 3) == 7)
    }

    @Test func invalidPrioritiesAreRejectedWithoutChangingAnything() throws {
        var buffer = try ReplayBuffer(configuration: .init(sampler: .prioritized(alpha: 1, beta: 1), maxTimesSampled: nil))
        _ = try buffer.insert(testBatch(1), priority: 2)
        #expect(throws: ReplayError.invalidPriority(key: nil, value: 0)) { try buffer.insert(testBatch(2), priority: 0) }
        #expect(throws: ReplayError.invalidPriority(key: 1, value: -.infinity)) {
            try buffer.updatePriorities([(key: 1, priority: 3), (key: 1, priority: -.infinity)])
        }
        #expect(buffer.priority(of: 1) == 2)
        #expect(buffer.count == 1)
    }

    @Test func sumTreeTracksTotalsMinimaAndPrefixesThroughUpdates() {
        var tree = SumTree(capacity: 5)
        #expect(tree.leafCount == 8)
        for (i, v) in [1.0, 2, 3, 4].enumerated() { tree.set(i, v) }
        #expect(tree.total == 10)
        #expect(tree.minimum == 1)
        let expected: [(Double, Int)] = [(0, 0), (0.999, 0), (1, 1), (2.999, 1), (3, 2), (6, 3), (9.999, 3)]
        for (u, leaf) in expected { #expect(tree.leaf(atPrefix: u) == leaf, "prefix \(u)") }
        tree.set(1, nil)
        #expect(tree.total == 8)
        #expect(tree.leaf(atPrefix: 1) == 2)
        tree.set(0, 5)
        #expect(tree.total == 12)
        #expect(tree.minimum == 3)
        #expect(tree.leaf(atPrefix: 4.999) == 0)
        #expect(tree.leaf(atPrefix: 5) == 2)
        // Rounding past the end never lands on an empty leaf.
        #expect(tree.leaf(atPrefix: 12.5) == 3)
    }

    @Test func sumTreeFollowsSwapRemovalsInsideTheBuffer() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 4, fullPolicy: .dropOldest,
                                                           sampler: .prioritized(alpha: 1, beta: 1), maxTimesSampled: nil))
        for i in 1...6 { _ = try buffer.insert(testBatch(i), priority: Double(i)) }
        // Held: 3, 4, 5, 6.
        #expect(buffer.keys == [3, 4, 5, 6])
        #expect(buffer.tree!.total == 18)
        #expect(buffer.tree!.minimum == 3)
        for (index, item) in buffer.items.enumerated() { #expect(buffer.tree![index] == item.priority) }
    }
}
