import Testing
@testable import Dungeon

@Test func moduleLinks() { #expect(Bool(true)) }
