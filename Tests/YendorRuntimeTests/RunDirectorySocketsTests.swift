import Foundation
import Testing
@testable import YendorRuntime

/// Where a run keeps its Unix sockets: in the run directory, unless paths there would not fit a
/// Unix socket address; then in a short directory every process of the run works out alike.
struct RunDirectorySocketsTests {
    @Test func aShallowRunKeepsItsSocketsInsideIt() {
        let root = URL(fileURLWithPath: "/tmp/runs/score-1", isDirectory: true)
        #expect(RunDirectory.sockets(ofRunAt: root).path == "/tmp/runs/score-1/sockets")
    }

    @Test func aDeepRunKeepsItsSocketsInAShortDirectoryNamedAfterIt() {
        let deep = URL(fileURLWithPath: "/scratch/" + String(repeating: "a", count: 50) + "/" + String(repeating: "b", count: 50), isDirectory: true)
        let other = deep.deletingLastPathComponent().appendingPathComponent(String(repeating: "c", count: 50), isDirectory: true)
        let sockets = RunDirectory.sockets(ofRunAt: deep)
        #expect(sockets.path.hasPrefix("/tmp/yendor-sockets-\(getuid())-"), "\(sockets.path)")
        // The same for every process that asks; another run's is another.
        #expect(RunDirectory.sockets(ofRunAt: deep) == sockets)
        #expect(RunDirectory.sockets(ofRunAt: other) != sockets)
        // The longest socket a role binds there fits.
        #expect(sockets.appendingPathComponent("env-server-999.4194304").path.utf8.count <= RunDirectory.maxSocketPath)
    }

    @Test func theLongestPathKeptInsideStillFitsAUnixSocket() {
        // The deepest run directory whose sockets stay inside it: its longest socket path fits.
        let budget = RunDirectory.maxSocketPath - RunDirectory.longestSocketName - "/sockets".utf8.count
        let root = URL(fileURLWithPath: "/" + String(repeating: "r", count: budget - 1), isDirectory: true)
        #expect(root.path.utf8.count == budget)
        let sockets = RunDirectory.sockets(ofRunAt: root)
        #expect(sockets.path == root.path + "/sockets")
        #expect((sockets.path + "/env-server-999.4194304").utf8.count <= RunDirectory.maxSocketPath)
        // One byte deeper and they move.
        #expect(RunDirectory.sockets(ofRunAt: URL(fileURLWithPath: root.path + "r", isDirectory: true)).path.hasPrefix("/tmp/yendor-sockets-"))
    }
}
