import Testing
@testable import YendorNN

@Test func moduleLinks() { #expect(Bool(true)) }
