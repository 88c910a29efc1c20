import Testing
@testable import YendorWire

@Test func moduleLinks() { #expect(Bool(true)) }
