import Foundation
import Testing
import YendorTestSupport

/// Who can connect in each CURVE mode (docs/cluster.md): with an allow-list only the listed keys
/// (HealthCommandTests.withCurveOnlyAnAllowedKeyHearsTheLearner); without one a server refuses to
/// start unless told `--curve-allow-any`, and then any key gets in and the server says so.
extension ClusterSuite {
@Suite("CURVE modes")
struct CurveModeTests {
    /// A scratch directory with the tiny configuration and key pairs `server` and `stranger`.
    static func keys(_ name: String) async throws -> (dir: URL, config: String, keys: String) {
        let (dir, config) = try ClusterFixtures.scratch(name)
        let keys = dir.appendingPathComponent("keys").path
        for key in ["server", "stranger"] {
            #expect(try await ClusterFixtures.yendor(["keys", "generate", "--directory", keys, key]).status == 0)
        }
        return (dir, config, keys)
    }

    @Test func withCurveAndNoAllowListEveryServerRoleRefusesToStartAndNamesBothWaysOut() async throws {
        let (dir, config, keys) = try await Self.keys("curve-refuse")
        let secret = ["--set", "transport.curve_secret_key_file=\(keys)/server.key"]
        let ports = ["--set", "transport.trajectories=tcp://127.0.0.1:\(ChildProcess.freePort())",
                     "--set", "transport.weights=tcp://127.0.0.1:\(ChildProcess.freePort())",
                     "--set", "transport.replay=tcp://127.0.0.1:\(ChildProcess.freePort())"]
        for role in ["learner", "replay"] {
            let r = try await ClusterFixtures.yendor([role, "--config", config, "--run-dir", dir.appendingPathComponent(role).path] + ports + secret,
                                                     timeout: 60)
            #expect(r.status != nil && r.status != 0, "\(role) started: \(r.errors.suffix(800))")
            #expect(r.errors.contains("transport.curve_allowed_clients") && r.errors.contains("--curve-allow-any"), "\(role): \(r.errors.suffix(800))")
            #expect(!r.errors.contains("listening"), "\(role) bound its sockets: \(r.errors.suffix(800))")
        }
        let annotator = try await ClusterFixtures.yendor([
            "annotator", "--store", dir.appendingPathComponent("labels.sqlite").path,
            "--requests", "tcp://127.0.0.1:\(ChildProcess.freePort())", "--labels", "tcp://127.0.0.1:\(ChildProcess.freePort())",
            "--curve-secret-key-file", "\(keys)/server.key",
        ], timeout: 60)
        #expect(annotator.status != nil && annotator.status != 0, "annotator started: \(annotator.errors.suffix(800))")
        #expect(annotator.errors.contains("--curve-allowed-clients") && annotator.errors.contains("--curve-allow-any"), "\(annotator.errors.suffix(800))")
    }

    /// An allow-list nobody is on (an empty or missing directory) is refused with words, not a
    /// Foundation error dump; the empty one started a learner no worker could ever reach (trial I).
    @Test func anAllowListThatAdmitsNobodyIsRefusedSayingWhy() async throws {
        let (dir, config, keys) = try await Self.keys("curve-empty-list")
        let empty = dir.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        for (list, said) in [(empty, "holds no .pub file: no client could connect"), (dir.appendingPathComponent("missing").path, "is not a directory")] {
            let r = try await ClusterFixtures.yendor(["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path,
                                                      "--set", "transport.trajectories=tcp://127.0.0.1:\(ChildProcess.freePort())",
                                                      "--set", "transport.weights=tcp://127.0.0.1:\(ChildProcess.freePort())",
                                                      "--set", "transport.curve_secret_key_file=\(keys)/server.key",
                                                      "--set", "transport.curve_allowed_clients=\(list)"], timeout: 60)
            #expect(r.status != nil && r.status != 0, "started: \(r.errors.suffix(800))")
            #expect(r.errors.contains("transport.curve_allowed_clients") && r.errors.contains(said) && !r.errors.contains("NSCocoaErrorDomain"),
                    "\(r.errors.suffix(800))")
        }
    }

    @Test func withCurveAllowAnyAnyKeyHearsTheLearnerAndTheLearnerWarnsLoudly() async throws {
        let (dir, config, keys) = try await Self.keys("curve-any")
        let (learner, weights) = try ClusterFixtures.learner(dir, config: config, extra: [
            "--set", "transport.curve_secret_key_file=\(keys)/server.key", "--curve-allow-any",
        ])
        defer { learner.kill() }
        #expect(await learner.waitForStandardError(containing: "learner listening"), "\(learner.standardError.suffix(800))")
        #expect(learner.standardError.contains("CURVE is on WITHOUT an allow-list"), "\(learner.standardError.suffix(800))")
        #expect(learner.standardError.contains("ANY client with the server's public key"))
        // Its own public key too, what a client's curve_server_key must be.
        let serverPublic = try String(contentsOfFile: "\(keys)/server.pub", encoding: .utf8).split(whereSeparator: \.isNewline).first.map(String.init) ?? "?"
        #expect(learner.standardError.contains("public key \(serverPublic)"), "\(learner.standardError.suffix(1500))")
        // A key the learner has never seen, with the server's public key: it gets in.
        let stranger = try await ClusterFixtures.yendor([
            "health", "learner", "--endpoint", "tcp://127.0.0.1:\(weights)", "--timeout", "20",
            "--set", "transport.curve_secret_key_file=\(keys)/stranger.key", "--set", "transport.curve_server_key=\(keys)/server.pub",
        ])
        #expect(stranger.status == 0, "\(stranger.errors)")
        // Without CURVE, nothing: encryption is still on.
        let plain = try await ClusterFixtures.yendor(["health", "learner", "--endpoint", "tcp://127.0.0.1:\(weights)", "--timeout", "1.5"])
        #expect(plain.status == 1)
    }
}
}
