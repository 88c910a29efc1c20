import Testing
@testable import YendorRewards

@Test func moduleLinks() { #expect(Bool(true)) }
