import Foundation
import Testing
import ZeroMQ
@testable import YendorRuntime
import YendorTestSupport

/// `yendor train` in one process: the roles are linked in process, with the transport settings the
/// user gave (they were all reset to their defaults, so `--set transport.queue_capacity=1` did nothing).
@Suite("Topology")
struct TopologyTests {
    @Test(arguments: InProcessLink.allCases)
    func oneProcessKeepsTheTransportSettingsAndLinksTheRolesInProcess(link: InProcessLink) throws {
        var c = try InMemoryRoleTests.configuration()
        c.inProcessLink = link
        c.transport.queueCapacity = 1
        c.transport.maxMessageMiB = 7
        c.transport.evictAfterBadBatches = 9
        c.transport.heartbeatInterval = 0.25
        c.transport.heartbeatMisses = 3
        c.transport.curveSecretKeyFile = "/keys/learner.key"  // for the remote annotator, not the in-process link
        let dir = Scratch.root.appendingPathComponent("topology-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = try Context()
        defer { context.terminate() }
        let (_, learner) = Topology.inProcess(configuration: c, runDirectory: try RunDirectory(path: dir.path),
                                              context: context, logger: InMemoryRoleTests.quiet)
        let t = learner.configuration.transport
        #expect(t.queueCapacity == 1 && t.maxMessageMiB == 7 && t.evictAfterBadBatches == 9)
        #expect(t.heartbeatInterval == 0.25 && t.heartbeatMisses == 3)
        #expect(t.trajectories.hasPrefix("inproc://") && t.weights.hasPrefix("inproc://"))
        #expect(!t.curveEnabled)
        #expect(learner.annotatorTransport.curveSecretKeyFile == "/keys/learner.key", "the remote annotator keeps its keys")
    }
}
