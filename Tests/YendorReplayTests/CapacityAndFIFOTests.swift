import Testing
import YendorWire
@testable import YendorReplay

@Suite struct CapacityAndFIFOTests {
    @Test func fifoHandsOutItemsOldestFirstAndEachOnlyOnce() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 8, sampler: .fifo, maxTimesSampled: 1))
        for i in 1...5 { _ = try buffer.insert(testBatch(i)) }
        let first = buffer.sample(count: 2)
        #expect(first.map(\.key) == [1, 2])
        #expect(first.map(\.trajectory.workerID) == ["w1", "w2"])
        #expect(first.allSatisfy { $0.probability == 1 && $0.importanceWeight == 1 && $0.timesSampled == 1 })
        #expect(buffer.count == 3)
        #expect(buffer.keys == [3, 4, 5])
        // All or nothing: 4 items asked, 3 left.
        #expect(!buffer.canSample(count: 4))
        #expect(buffer.sample(count: 4).isEmpty)
        #expect(buffer.statistics.refusedSamples == 1)
        #expect(buffer.sample(count: 3).map(\.key) == [3, 4, 5])
        #expect(buffer.count == 0)
        #expect(buffer.statistics.consumed == 5)
        #expect(buffer.statistics.sampled == 5)
        #expect(!buffer.canSample())
    }

    @Test func fifoWithTwoSamplesPerItemReturnsEachItemTwiceBeforeMovingOn() throws {
        var buffer = try ReplayBuffer(configuration: .init(sampler: .fifo, maxTimesSampled: 2))
        for i in 1...2 { _ = try buffer.insert(testBatch(i)) }
        #expect(buffer.sample(count: 4).map(\.key) == [1, 1, 2, 2])
        #expect(buffer.count == 0)
    }

    /// Trial C7: `replay.max_times_sampled` of Int.max trapped the learner at its first sample
    /// (items × max overflowed); so many draws per item are simply always there.
    @Test func aHugeMaxTimesSampledLeavesDrawsEnoughInsteadOfOverflowing() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 8, sampler: .uniform, maxTimesSampled: .max))
        for i in 1...3 { _ = try buffer.insert(testBatch(i)) }
        #expect(buffer.canSample(count: 5))
        #expect(buffer.sample(count: 5).count == 5)
        #expect(buffer.count == 3)
    }

    @Test func blockPolicyRefusesWhenFullAndAcceptsAgainAfterConsumption() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 3, fullPolicy: .block))
        let outcomes = try (1...4).map { try buffer.insert(testBatch($0)) }
        #expect(outcomes == [.inserted(key: 1), .inserted(key: 2), .inserted(key: 3), .refused(.full)])
        #expect(buffer.count == 3)
        #expect(!buffer.canInsert())
        #expect(buffer.statistics.refusedFull == 1)
        #expect(buffer.statistics.evicted == 0)
        #expect(buffer.sample(count: 1).map(\.key) == [1])
        #expect(buffer.canInsert())
        #expect(try buffer.insert(testBatch(4)) == .inserted(key: 4))
        #expect(buffer.keys == [2, 3, 4])
    }

    @Test func dropOldestEvictsTheOldestAndCountsIt() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 3, fullPolicy: .dropOldest))
        let outcomes = try (1...5).map { try buffer.insert(testBatch($0)) }
        #expect(outcomes[3] == .insertedAfterEvicting(key: 4, evicted: 1))
        #expect(outcomes[4] == .insertedAfterEvicting(key: 5, evicted: 1))
        #expect(buffer.keys == [3, 4, 5])
        #expect(buffer.statistics.evicted == 2)
        #expect(buffer.statistics.inserted == 5)
        #expect(buffer.canInsert())
        #expect(buffer.sample(count: 1).map(\.trajectory.workerID) == ["w3"])
    }

    @Test func stepCapacityEvictsUntilTheBatchFitsAndRefusesOneThatNeverCould() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 100, capacityInSteps: 10, fullPolicy: .dropOldest))
        // 2 steps × 2 envs = 4 steps each.
        for i in 1...2 { _ = try buffer.insert(testBatch(i, steps: 2, envs: 2)) }
        #expect(buffer.steps == 8)
        #expect(try buffer.insert(testBatch(3, steps: 2, envs: 2)) == .insertedAfterEvicting(key: 3, evicted: 1))
        #expect(buffer.steps == 8)
        // 9 steps need both remaining items gone.
        #expect(try buffer.insert(testBatch(4, steps: 9, envs: 1)) == .insertedAfterEvicting(key: 4, evicted: 2))
        #expect(buffer.steps == 9)
        #expect(try buffer.insert(testBatch(5, steps: 11, envs: 1)) == .refused(.largerThanCapacity))
        #expect(buffer.statistics.refusedTooLarge == 1)
        #expect(buffer.keys == [4])
    }

    @Test func stepCapacityWithBlockRefusesWhileTheStepsWouldOverflow() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 100, capacityInSteps: 10, fullPolicy: .block))
        _ = try buffer.insert(testBatch(1, steps: 3, envs: 2))
        #expect(buffer.canInsert(steps: 4))
        #expect(!buffer.canInsert(steps: 5))
        #expect(try buffer.insert(testBatch(2, steps: 5, envs: 1)) == .refused(.full))
        #expect(try buffer.insert(testBatch(3, steps: 4, envs: 1)) == .inserted(key: 2))
    }

    @Test func orderBookkeepingStaysBoundedUnderChurn() throws {
        var buffer = try ReplayBuffer(configuration: .init(capacity: 4, fullPolicy: .dropOldest, sampler: .uniform,
                                                           maxTimesSampled: 1, seed: 7))
        for i in 1...2000 {
            _ = try buffer.insert(testBatch(i))
            if i % 3 == 0 { _ = buffer.sample(count: 1) }
        }
        #expect(buffer.order.count - buffer.orderHead <= 2 * buffer.count + 64)
        #expect(buffer.order.count <= 200)
        #expect(buffer.keys.count == buffer.count)
        #expect(buffer.keys == buffer.keys.sorted())
    }
}
