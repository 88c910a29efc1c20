import Testing
@testable import YendorAnnotator

@Test func moduleLinks() { #expect(Bool(true)) }
