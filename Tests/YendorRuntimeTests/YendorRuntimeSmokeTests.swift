import Testing
@testable import YendorRuntime

@Test func moduleLinks() { #expect(Bool(true)) }
