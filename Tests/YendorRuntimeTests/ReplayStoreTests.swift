import Testing
import YendorTestSupport
import YendorReplay
import YendorWire
@testable import YendorRuntime

/// The replay role's store: what was sampled but never sent when the role stopped goes back into
/// the buffer, so the checkpoint written next keeps it.
@Suite("Replay store")
struct ReplayStoreTests {
    @Test func sampledItemsThatWereNeverSentArePutBackOnceEach() async throws {
        let store = ReplayStore(buffer: try ReplayBuffer(configuration: .init(capacity: 8, sampler: .fifo, maxTimesSampled: 1)))
        for _ in 0..<3 { #expect(try await store.insert(.value(ZeroMQLearnerLinkTests.trajectory()))) }
        let sampled = try #require(await store.sample(count: 2))
        #expect(await store.count == 1)
        await store.close()
        await store.putBack(sampled)
        #expect(await store.count == 3)
    }

    @Test func anItemStillInTheBufferIsNotDuplicated() async throws {
        let store = ReplayStore(buffer: try ReplayBuffer(configuration: .init(capacity: 8, sampler: .fifo, maxTimesSampled: 2)))
        #expect(try await store.insert(.value(ZeroMQLearnerLinkTests.trajectory())))
        let sampled = try #require(await store.sample(count: 1))  // sampled once of twice: still held
        await store.putBack(sampled)
        #expect(await store.count == 1)
    }

    /// A learner stopping while a received trajectory waits for room keeps it: the store closes
    /// only once it is in (sampling goes on to make room), so the final checkpoint holds it. It
    /// was counted in the budget and lost: the resumed run stepped back a trajectory.
    @Test func aCloseAfterWaitingInsertsLetsTheWaitingInsertInFirst() async throws {
        let (store, waiting) = try await Self.fullStoreWithAWaitingInsert()
        await store.close(afterWaitingInserts: true)
        #expect(try await store.insert(.value(ZeroMQLearnerLinkTests.trajectory())) == false, "a new insert is refused at once")
        #expect(await store.sample(count: 1) != nil, "sampling goes on while an insert waits")
        #expect(try await waiting.value, "the waiting insert got in")
        #expect(await store.sample(count: 1) == nil, "then the store is closed")
        #expect(await store.count == 1)
    }

    /// Closed at once (the replay role, or a learner ending for another reason), a waiting insert
    /// is refused.
    @Test func aCloseAtOnceRefusesTheWaitingInsert() async throws {
        let (store, waiting) = try await Self.fullStoreWithAWaitingInsert()
        await store.close(afterWaitingInserts: true)
        await store.close()
        #expect(try await waiting.value == false)
        #expect(await store.sample(count: 1) == nil)
        #expect(await store.count == 1)
    }

    /// A store of one trajectory's room, holding one, and an insert waiting for room.
    static func fullStoreWithAWaitingInsert() async throws -> (ReplayStore, Task<Bool, Error>) {
        let store = ReplayStore(buffer: try ReplayBuffer(configuration: .init(capacity: 1, sampler: .fifo, maxTimesSampled: 1)))
        #expect(try await store.insert(.value(ZeroMQLearnerLinkTests.trajectory())))
        let waiting = Task { try await store.insert(.value(ZeroMQLearnerLinkTests.trajectory())) }
        #expect(await Poll.until { await store.waitingInserts == 1 })
        return (store, waiting)
    }

    /// The learner's batch in the making when it stops: taken out of the buffer, put back whole.
    @Test func trajectoriesOfABatchNeverBuiltArePutBackAfterTheStoreCloses() async throws {
        let store = ReplayStore(buffer: try ReplayBuffer(configuration: .init(capacity: 8, sampler: .fifo, maxTimesSampled: 1)))
        for _ in 0..<2 { #expect(try await store.insert(.value(ZeroMQLearnerLinkTests.trajectory()))) }
        let taken = try #require(await store.sample(count: 2)).map(\.trajectory)
        await store.close()
        await store.putBack(taken)
        #expect(await store.count == 2)
    }
}
