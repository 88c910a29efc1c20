import Testing
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
