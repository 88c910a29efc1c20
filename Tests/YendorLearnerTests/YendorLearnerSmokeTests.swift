import Testing
@testable import YendorLearner

@Test func moduleLinks() { #expect(Bool(true)) }
