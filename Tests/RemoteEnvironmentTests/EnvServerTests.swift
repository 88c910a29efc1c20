import Foundation
import Logging
import RemoteEnvironment
import Testing
import YendorEnvironment
import YendorTestSupport
import ZeroMQ

/// A real `yendor-env serve` process (python/, installed in .venv by `make deps`) stepped by
/// Yendor's `RemoteVectorEnv` over ZeroMQ.
enum EnvServerFixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let executable = repository.appendingPathComponent(".venv/bin/yendor-env")
    static var available: Bool { FileManager.default.isExecutableFile(atPath: executable.path) }
}

@Suite(.serialized, .enabled(if: EnvServerFixture.available, "needs .venv with yendor-env (make deps)"))
struct EnvServerTests {
    static var repository: URL { EnvServerFixture.repository }
    static var executable: URL { EnvServerFixture.executable }

    /// A server of the test envs (python/tests/helpers_env.py) on a fresh ipc endpoint.
    static func serve(_ env: String, envs: Int, endpoint: String? = nil, extra: [String] = []) throws -> (ChildProcess, String) {
        let endpoint = endpoint ?? "ipc://\(NSTemporaryDirectory())yendor-env-\(UUID().uuidString.prefix(8))"
        let child = try ChildProcess(executable: executable, arguments: [
            "serve", "--env", env, "--num-envs", "\(envs)", "--bind", endpoint, "--import", "helpers_env"] + extra,
            environment: ["PYTHONPATH": repository.appendingPathComponent("python/tests").path])
        return (child, endpoint)
    }

    static let logger = Logger(label: "test")

    @Test func stepsAutoResetsSummarisesEpisodesAndReproducesItsSeeds() throws {
        let (server, endpoint) = try Self.serve("YendorTest-Grid-v0", envs: 3)
        defer { server.kill() }
        let context = try Context()
        defer { context.terminate() }
        let probe = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 120)
        #expect(probe.envs == 3 && probe.spec.mapRows == 3 && probe.spec.mapColumns == 5 && probe.spec.actionCount == 4)
        func run() throws -> ([[Int16]], [FinishedEpisode]) {
            let env = try RemoteVectorEnv(endpoints: [endpoint], seed: 11, context: context, timeout: 60, logger: Self.logger)
            #expect(env.count == 3 && env.spec == probe.spec)
            #expect(env.caption(0) == "hello" && env.captionCount[0] == 1)
            var maps: [[Int16]] = [Array(env.glyphs)], episodes: [FinishedEpisode] = []
            for step in 1...8 {
                try env.step(actions: [0, 1, 2])
                maps.append(Array(env.glyphs))
                episodes += env.finishedEpisodes
                let ended = step % 4 == 0
                #expect((0..<3).allSatisfy { (env.done[$0] == 1) == ended }, "step \(step)")
                // Auto-reset: after the 4th step the observation is the next episode's first.
                #expect(env.caption(1) == (ended ? "hello" : "step \(step % 4)"))
            }
            return (maps, episodes)
        }
        let (mapsA, episodes) = try run()
        #expect(episodes.count == 6 && episodes.allSatisfy { $0.length == 4 && $0.episodeReturn == 1 && $0.lastCaption == "step 4" })
        let (mapsB, _) = try run()
        #expect(mapsA == mapsB, "the same EnvOpen seed reproduces the same observations")
    }

    @Test func anEnvThatRaisesEndsThatEpisodeAsTruncatedAndTheOthersGoOn() throws {
        let (server, endpoint) = try Self.serve("YendorTest-Grid-v0", envs: 2)
        defer { server.kill() }
        let context = try Context()
        defer { context.terminate() }
        _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 120)
        let env = try RemoteVectorEnv(endpoints: [endpoint], seed: 1, context: context, timeout: 60, logger: Self.logger)
        try env.step(actions: [3, 0])  // action 3 raises in env 0
        #expect(env.done[0] == 1 && env.truncated[0] == 1 && env.done[1] == 0)
        let failed = try #require(env.finishedEpisodes.first)
        #expect(failed.envIndex == 0 && failed.truncated)
        try env.step(actions: [0, 0])
        #expect(env.done[0] == 0 && env.caption(1) == "step 2")
    }

    @Test func aKilledServerIsReportedAndTheEnvReconnectsWhenItReturns() async throws {
        var (server, endpoint) = try Self.serve("YendorTest-Grid-v0", envs: 2)
        let context = try Context()
        defer { context.terminate() }
        _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 120)
        let env = try RemoteVectorEnv(endpoints: [endpoint], seed: 1, context: context, timeout: 2, logger: Self.logger)
        try env.step(actions: [0, 0])
        kill(server.pid, SIGKILL)
        server.process.waitUntilExit()
        // The step waits for the server; a new one takes its place once the old one is gone.
        let restart = Task.detached { try Self.serve("YendorTest-Grid-v0", envs: 2, endpoint: endpoint) }
        try env.step(actions: [0, 0])
        (server, _) = try await restart.value
        defer { server.kill() }
        #expect(env.serverFailures == 1)
        #expect(env.done[0] == 1 && env.truncated[0] == 1 && env.done[1] == 1, "the episodes the server was running were cut")
        #expect(env.caption(0) == "hello", "the returned server's envs start afresh")
        try env.step(actions: [0, 0])
        #expect(env.done[0] == 0 && env.caption(0) == "step 1")
    }

    @Test func aServerWithAnotherSpecIsRefusedNamingBoth() throws {
        let (server, endpoint) = try Self.serve("YendorTest-Grid-v0", envs: 1)
        defer { server.kill() }
        let context = try Context()
        defer { context.terminate() }
        let probe = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 120)
        var other = probe.spec
        other.actionCount = 7
        #expect {
            _ = try RemoteVectorEnv(endpoints: [endpoint], seed: 1, context: context, timeout: 60, expected: other, logger: Self.logger)
        } throws: { error in
            let text = "\(error)"
            return text.contains(probe.spec.fingerprint) && text.contains(other.fingerprint)
        }
    }
}
