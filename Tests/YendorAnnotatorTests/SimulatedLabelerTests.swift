import Testing
@testable import YendorAnnotator

@Suite struct SimulatedLabelerTests {
    @Test func failureRateOneFailsEveryItem() async throws {
        let labeler = try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: .init(failureRate: 1))
        let answers = await labeler.label(captions(5))
        #expect(answers.allSatisfy { $0.outcome == .failed(.simulatedFailure) })
    }

    /// Cancelled during its latency (the annotator's shutdown), nothing was "received": every item
    /// is answered cancelled, which the annotator neither stores nor publishes. It slept through
    /// the cancellation and labeled them.
    @Test func cancelledDuringItsLatencyItAnswersEveryItemCancelled() async throws {
        let labeler = try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: .init(latency: .seconds(600)))
        let call = Task { await labeler.label(captions(3)) }
        call.cancel()
        let answers = await call.value
        #expect(answers.count == 3 && answers.allSatisfy { $0.outcome == .failed(.cancelled) }, "\(answers)")
    }

    @Test func noiseOneFlipsEveryClassification() async throws {
        let labeler = try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: .init(labelNoise: 1))
        let answers = await labeler.label(captions(5))  // the lexicon says helpful
        #expect(answers.allSatisfy { $0.outcome == .labeled(.notHelpful) })
    }

    @Test func sameSeedGivesTheSameNoise() async throws {
        let configuration = SimulatedLabeler.Configuration(failureRate: 0.3, labelNoise: 0.3, seed: 42)
        let a = try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: configuration)
        let b = try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: configuration)
        let requests = captions(64)
        let outcomesA = await a.label(requests).map(\.outcome)
        let outcomesB = await b.label(requests).map(\.outcome)
        #expect(outcomesA == outcomesB)
        #expect(Set(outcomesA).count == 3)  // some failures, some flips, some clean labels
    }

    @Test func identityNeverMatchesTheInnerLabeler() throws {
        let labeler = try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: .init(labelNoise: 0.1))
        #expect(labeler.identity.backend == "simulated+lexicon")
        #expect(labeler.identity != LexiconLabeler().identity)
    }

    @Test func outOfRangeRatesAreRejectedNamingTheField() {
        #expect(throws: AnnotatorError.invalidConfiguration(field: "failureRate", reason: "must be in [0, 1], got 1.5")) {
            try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: .init(failureRate: 1.5))
        }
    }
}

@Suite struct LabelerBackendTests {
    @Test func backendsBuildTheLabelerTheyName() throws {
        #expect(try LabelerBackend.lexicon.makeLabeler(logger: testLogger).identity.backend == "lexicon")
        let simulated = LabelerBackend.simulated(.init(labelNoise: 0.2), wrapping: .lexicon)
        #expect(try simulated.makeLabeler(logger: testLogger).identity.backend == "simulated+lexicon")
    }

    @Test func badNestedConfigurationNamesTheField() {
        let backend = LabelerBackend.simulated(.init(labelNoise: -1), wrapping: .lexicon)
        #expect(throws: AnnotatorError.invalidConfiguration(field: "labelNoise", reason: "must be in [0, 1], got -1.0")) {
            try backend.makeLabeler(logger: testLogger)
        }
    }
}
