import Foundation
import Testing
import NetHack

/// Where the tests find NLE: the project's virtualenv that `make deps` makes.
enum NLEFixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv/bin/python")

    /// The library, or nil after printing why every NLE test is skipped.
    static let library: NetHackLibrary? = {
        do {
            return try NetHackLibrary.locate()
        } catch {
            print("""
                ************************************************************************
                NLE TESTS SKIPPED: \(error)
                `make deps` makes .venv with nle \(NetHackLibrary.pinnedVersion); CI always has it.
                ************************************************************************
                """)
            return nil
        }
    }()

    static var available: Bool { library != nil && FileManager.default.isExecutableFile(atPath: python.path) }
}

/// The suites that run NetHack games in this process, one test at a time. A game's end changes the
/// process's signal dispositions until the host puts them back, so `NetHackSignalTests` can only
/// check them while no other game runs.
@Suite(.serialized) enum InProcessNetHackGames {}
