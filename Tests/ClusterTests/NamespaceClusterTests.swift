import Foundation
import Testing
import YendorTestSupport

/// Several "hosts" on one machine: network namespaces on a private bridge, real TCP, CURVE on.
/// The scenario lives in cluster/tests/netns-cluster.sh (see its header); this test runs it,
/// shows its output, and removes the namespaces whatever happened.
extension ClusterSuite {
@Suite("Multi-host cluster in network namespaces")
struct NamespaceClusterTests {
    @Test func trainingSurvivesALinkCutAndKeepsUnauthorisedPeersOut() async throws {
        let script = "cluster/tests/netns-cluster.sh"
        let prefix = "yd\(getpid() % 100000)"
        let result = try await ClusterFixtures.script(script, ["--prefix", prefix], timeout: 600)
        // The script cleans up on exit; this covers a script killed by the timeout.
        _ = try await ClusterFixtures.script(script, ["--cleanup", prefix], timeout: 60)
        print(result.output)
        if result.status == 77 {
            print("NamespaceClusterTests: skipped, \(result.output.split(separator: "\n").first { $0.hasPrefix("SKIP") } ?? "namespaces unavailable")")
            return
        }
        #expect(result.status == 0, "netns-cluster.sh failed:\n\(result.output.suffix(4000))")
    }
}
}
