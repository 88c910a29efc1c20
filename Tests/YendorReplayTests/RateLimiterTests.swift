import Testing
import YendorWire
@testable import YendorReplay

@Suite struct RateLimiterTests {
    // samplesPerInsert 2, errorBuffer 2, minSizeToSample 2: offset = 4, so inserts need
    // 2·(inserted+1) − sampled ≤ 6 and n samples need 2·inserted − (sampled+n) ≥ 2.
    let limiter = RateLimiter(samplesPerInsert: 2, errorBuffer: 2, minSizeToSample: 2)

    @Test func insertsAreFreeUntilTheMinimumSizeThenBoundedByTheRatio() {
        #expect(limiter.canInsert(inserted: 0, sampled: 0, size: 0))
        #expect(limiter.canInsert(inserted: 1, sampled: 0, size: 1))
        // 2·3 − 0 = 6 ≤ 6.
        #expect(limiter.canInsert(inserted: 2, sampled: 0, size: 2))
        // 2·4 − 0 = 8 > 6.
        #expect(!limiter.canInsert(inserted: 3, sampled: 0, size: 3))
        // 2·4 − 2 = 6 ≤ 6 once two samples were drawn.
        #expect(limiter.canInsert(inserted: 3, sampled: 2, size: 3))
        // 2·4 − 1 = 7 > 6.
        #expect(!limiter.canInsert(inserted: 3, sampled: 1, size: 3))
    }

    @Test func samplesWaitForTheMinimumSizeThenAreBoundedByTheRatio() {
        #expect(!limiter.canSample(inserted: 1, sampled: 0, size: 1))
        // 2·2 − 2 = 2 ≥ 2, 2·2 − 3 = 1 < 2.
        #expect(limiter.canSample(count: 2, inserted: 2, sampled: 0, size: 2))
        #expect(!limiter.canSample(count: 3, inserted: 2, sampled: 0, size: 2))
        #expect(!limiter.canSample(count: 1, inserted: 2, sampled: 2, size: 2))
        // Size counts items held now: consumed items no longer count toward the minimum.
        #expect(!limiter.canSample(count: 1, inserted: 5, sampled: 0, size: 1))
    }

    @Test func unlimitedLimiterOnlyChecksTheMinimumSize() {
        let unlimited = RateLimiter(minSizeToSample: 3)
        #expect(unlimited.canInsert(inserted: 1_000, sampled: 0, size: 50))
        #expect(!unlimited.canSample(inserted: 2, sampled: 0, size: 2))
        #expect(unlimited.canSample(count: 1_000, inserted: 3, sampled: 0, size: 3))
    }

    @Test func bufferRefusesInsertsAndSamplesAtTheLimiterBoundaries() throws {
        // Ratio 1, error buffer 1, minimum 1: offset 1; inserts need (inserted+1) − sampled ≤ 2,
        // samples need inserted − (sampled+n) ≥ 0.
        var buffer = try ReplayBuffer(configuration: .init(
            sampler: .uniform, maxTimesSampled: nil,
            rateLimiter: RateLimiter(samplesPerInsert: 1, errorBuffer: 1, minSizeToSample: 1), seed: 2))
        #expect(try buffer.insert(testBatch(1)) == .inserted(key: 1))
        #expect(try buffer.insert(testBatch(2)) == .inserted(key: 2))
        #expect(!buffer.canInsert())
        #expect(try buffer.insert(testBatch(3)) == .refused(.rateLimited))
        #expect(buffer.statistics.refusedRateLimited == 1)
        #expect(buffer.sample(count: 1).count == 1)
        #expect(try buffer.insert(testBatch(3)) == .inserted(key: 3))
        #expect(buffer.canSample(count: 2))
        #expect(!buffer.canSample(count: 3))
        #expect(buffer.sample(count: 3).isEmpty)
        #expect(buffer.sample(count: 2).count == 2)
        #expect(buffer.statistics.sampled == 3)
        #expect(buffer.statistics.samplesPerInsert == 1)
    }
}
