import Testing
@testable import YendorReplay

@Suite struct ConfigurationTests {
    func field(of configuration: ReplayBuffer.Configuration) -> String? {
        do {
            try configuration.validate()
            return nil
        } catch ReplayError.invalidConfiguration(let field, _) {
            return field
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func defaultsAreValid() throws {
        #expect(field(of: .init()) == nil)
        let c = ReplayBuffer.Configuration()
        #expect(c.capacity == 1024)
        #expect(c.fullPolicy == .block)
        #expect(c.sampler == .fifo)
        #expect(c.maxTimesSampled == 1)
        #expect(c.rateLimiter == .unlimited)
    }

    @Test func invalidFieldsAreNamed() {
        #expect(field(of: .init(capacity: 0)) == "capacity")
        #expect(field(of: .init(capacityInSteps: 0)) == "capacityInSteps")
        #expect(field(of: .init(maxTimesSampled: 0)) == "maxTimesSampled")
        #expect(field(of: .init(sampler: .fifo, maxTimesSampled: nil)) == "maxTimesSampled")
        #expect(field(of: .init(sampler: .prioritized(alpha: -1, beta: 0))) == "sampler.alpha")
        #expect(field(of: .init(sampler: .prioritized(alpha: 1, beta: .nan))) == "sampler.beta")
        #expect(field(of: .init(rateLimiter: .init(samplesPerInsert: 0))) == "rateLimiter.samplesPerInsert")
        #expect(field(of: .init(rateLimiter: .init(samplesPerInsert: 4, errorBuffer: 3))) == "rateLimiter.errorBuffer")
        #expect(field(of: .init(rateLimiter: .init(minSizeToSample: 0))) == "rateLimiter.minSizeToSample")
        #expect(field(of: .init(capacity: 4, rateLimiter: .init(minSizeToSample: 5))) == "rateLimiter.minSizeToSample")
        #expect(throws: ReplayError.self) { try ReplayBuffer(configuration: .init(capacity: -3)) }
    }
}
