import Foundation
import Logging
import Synchronization
import RemoteEnvironment
import Testing
import YendorEnvironment
import YendorSupport
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
        let endpoint = endpoint ?? "ipc://\(Scratch.path)yendor-env-\(UUID().uuidString.prefix(8))"
        let child = try ChildProcess(executable: executable, arguments: [
            "serve", "--env", env, "--num-envs", "\(envs)", "--bind", endpoint, "--import", "helpers_env"] + extra,
            environment: ["PYTHONPATH": repository.appendingPathComponent("python/tests").path])
        return (child, endpoint)
    }

    static let logger = Logger(label: "test")

    /// A server of `envs` test envs, a context, and a logger whose lines a test can wait for (the
    /// tests of a failing server wait for what the env reports).
    static func servedWithLog(envs: Int) throws -> (server: ChildProcess, endpoint: String, context: Context, reports: LogLines, logger: Logger) {
        let (server, endpoint) = try serve("YendorTest-Grid-v0", envs: envs)
        let context: Context
        do { context = try Context() } catch {
            server.kill()
            throw error
        }
        let reports = LogLines()
        return (server, endpoint, context, reports, Logger(label: "env") { _ in reports })
    }

    /// A server of `envs` test envs, a context, and the server's answer to a probe: the probe
    /// waits until the server is up, and tells its spec.
    static func servedAndProbed(envs: Int) throws
        -> (server: ChildProcess, endpoint: String, context: Context, probe: (spec: ObservationSpec, task: String, envs: Int))
    {
        let (server, endpoint) = try serve("YendorTest-Grid-v0", envs: envs)
        do {
            let context = try Context()
            return (server, endpoint, context, try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600))
        } catch {
            server.kill()
            throw error
        }
    }

    @Test func stepsAutoResetsSummarisesEpisodesAndReproducesItsSeeds() throws {
        let (server, endpoint, context, probe) = try Self.servedAndProbed(envs: 3)
        defer { server.kill() }
        defer { context.terminate() }
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

    @Test func askingTheSpecWhileAWorkerStepsTheServerDisturbsNothing() throws {
        let (server, endpoint) = try Self.serve("YendorTest-Grid-v0", envs: 2)
        defer { server.kill() }
        let context = try Context()
        defer { context.terminate() }
        let env = try RemoteVectorEnv(endpoints: [endpoint], seed: 1, context: context, timeout: 60, logger: Self.logger)
        try env.step(actions: [0, 0])
        // A learner (re)starting asks the same server for its spec (EnvDescribe) between two steps.
        let probe = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600)
        #expect(probe.spec == env.spec && probe.envs == 2)
        try env.step(actions: [0, 0])
        // Neither reset nor taken over: the episodes go on, and the worker never had to reopen.
        #expect(env.caption(0) == "step 2" && env.caption(1) == "step 2")
        #expect(env.done[0] == 0 && env.serverFailures == 0)
    }

    /// Two workers given the same server take its envs from each other: each takes them back once,
    /// and the one that loses them again soon after stops, saying why; the other keeps them (trial
    /// G: they took them back and forth 130 times in 20 s, training on episodes cut short).
    @Test func twoEnvsOpeningTheSameEnvsEndWithOneStoppingAndSayingWhy() throws {
        let (server, endpoint, context, reports, logger) = try Self.servedWithLog(envs: 2)
        defer { server.kill() }
        defer { context.terminate() }
        let a = try RemoteVectorEnv(endpoints: [endpoint], seed: 1, context: context, timeout: 600, logger: logger)
        try a.step(actions: [0, 0])
        let b = try RemoteVectorEnv(endpoints: [endpoint], seed: 2, context: context, timeout: 600, logger: logger)
        try a.step(actions: [0, 0])  // taken over by b's open: a takes them back, once
        #expect(reports.lines.filter { $0.contains("another connection opened this worker's envs there") }.count == 1, "\(reports.lines)")
        #expect(a.truncated[0] == 1 && a.truncated[1] == 1, "the episodes the open cut short end as truncated")
        try b.step(actions: [0, 0])  // b takes them back, once
        #expect(throws: RemoteEnvironmentError.takenOver(endpoint: endpoint, steps: 0)) { try a.step(actions: [0, 0]) }
        #expect(RemoteEnvironmentError.takenOver(endpoint: endpoint, steps: 0).description.contains("give each worker servers of its own (--env-server)"))
        for _ in 0..<3 { try b.step(actions: [0, 0]) }
        #expect(b.serverFailures == 1 && b.done[0] == 0, "b keeps them: nobody opens them again")
    }

    @Test func twoEnvsSteppingSlicesOfOneServerConcurrentlyEachSeeWhatAWholeServerWouldShowThem() throws {
        let (shared, sharedEndpoint) = try Self.serve("YendorTest-Grid-v0", envs: 4)
        defer { shared.kill() }
        let (reference, referenceEndpoint) = try Self.serve("YendorTest-Grid-v0", envs: 2)
        defer { reference.kill() }
        let context = try Context()
        defer { context.terminate() }
        _ = try RemoteVectorEnv.probe(endpoint: sharedEndpoint, timeout: 600)
        _ = try RemoteVectorEnv.probe(endpoint: referenceEndpoint, timeout: 600)
        // Each slice's env i is seeded like env i of a whole 2-env server opened with the same seed.
        let slices = try (0..<2).map { k in
            UncheckedSendable(try RemoteVectorEnv(slices: [EnvServerSlice(endpoint: sharedEndpoint, split: k, splits: 2)],
                                                  seed: 20 + UInt64(k), context: context, timeout: 60, logger: Self.logger))
        }
        let actions: [[Int32]] = [[0, 1], [2, 0], [1, 1], [0, 2], [2, 2], [1, 0]]
        @Sendable func trace(_ env: RemoteVectorEnv, steps: Int) throws -> [[Int16]] {
            var maps = [Array(env.glyphs)]
            for t in 0..<steps {
                try env.step(actions: actions[t])
                maps.append(Array(env.glyphs))
            }
            return maps
        }
        // Slice 1 of 2 steps 6 times while slice 2 steps 3 times, on two threads at once.
        let traces = Mutex<[Int: [[Int16]]]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            do {
                let maps = try trace(slices[k].value, steps: k == 0 ? 6 : 3)
                traces.withLock { $0[k] = maps }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(slices.map(\.value.count) == [2, 2])
        for k in 0..<2 {
            let whole = try RemoteVectorEnv(endpoints: [referenceEndpoint], seed: 20 + UInt64(k), context: context, timeout: 60,
                                            logger: Self.logger)
            let expected = try trace(whole, steps: k == 0 ? 6 : 3)
            #expect(traces.withLock { $0[k] } == expected, "slice \(k + 1) of 2")
        }
        #expect(slices[0].value.caption(0) == "step 2" && slices[1].value.caption(0) == "step 3")
        // A server cannot be cut into more slices than it has envs; the refusal names the slice.
        #expect {
            _ = try RemoteVectorEnv(slices: [EnvServerSlice(endpoint: referenceEndpoint, split: 0, splits: 3)], seed: 1,
                                    context: context, timeout: 60, logger: Self.logger)
        } throws: { error in
            "\(error)".contains("slice 1 of 3") && "\(error)".contains("cannot open slice 1 of 3: this server hosts 2 envs")
        }
    }

    @Test func anEnvThatRaisesEndsThatEpisodeAsTruncatedAndTheOthersGoOn() throws {
        let (server, endpoint, context, reports, logger) = try Self.servedWithLog(envs: 2)
        defer { server.kill() }
        defer { context.terminate() }
        _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600)
        // An hour between lines, so the check below does not depend on how fast the steps go.
        let env = try RemoteVectorEnv(slices: [EnvServerSlice(endpoint: endpoint)], seed: 1, context: context, timeout: 60,
                                      envErrorLogInterval: 3600, logger: logger)
        try env.step(actions: [3, 0])  // action 3 raises in env 0
        #expect(env.done[0] == 1 && env.truncated[0] == 1 && env.done[1] == 0)
        let failed = try #require(env.finishedEpisodes.first)
        #expect(failed.envIndex == 0 && failed.truncated)
        #expect(env.envErrors == 1 && env.serverFailures == 0, "an env's error is counted, and is not the server's failure")
        try env.step(actions: [0, 0])
        #expect(env.done[0] == 0 && env.caption(1) == "step 2")
        // An env that raises at every step is said once per server slice and interval, not once a step.
        for _ in 0..<5 { try env.step(actions: [3, 3]) }
        #expect(env.envErrors == 11 && env.failureReader().envErrors == 11, "every one is counted, logged or not")
        let said = reports.lines.filter { $0.contains("raised:") }
        #expect(said.count == 1 && said[0].contains("env 0 of \(endpoint) raised: RuntimeError: boom"), "\(said)")
    }

    /// A killed server closes its connection: the env notices at once (it waited out the reply
    /// timeout, 10 s by default, for each crash), reports, and waits for the server to be back.
    @Test func aKilledServerIsReportedAtOnceAndTheEnvReconnectsWhenItReturns() async throws {
        let (server, endpoint, context, reports, logger) = try Self.servedWithLog(envs: 2)
        defer { server.kill() }
        defer { context.terminate() }
        // The env blocks on its socket, so it runs on a thread of its own; another thread brings a
        // server back once the env has reported the failure. The reply timeout is the hang guard: the
        // failure is seen from the closed connection, not from the silence.
        let outcome = try await offPool { () -> (Int, [UInt8], [UInt8], String, String) in
            _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600)
            let env = try RemoteVectorEnv(endpoints: [endpoint], seed: 1, context: context, timeout: 600, logger: logger)
            try env.step(actions: [0, 0])
            kill(server.pid, SIGKILL)
            while server.isRunning { usleep(10_000) }
            let restarted = Mutex<ChildProcess?>(nil)
            let restarter = Thread {
                reports.wait { $0.contains("failed; reconnecting") }
                restarted.withLock { $0 = try? Self.serve("YendorTest-Grid-v0", envs: 2, endpoint: endpoint).0 }
            }
            restarter.start()
            defer { restarted.withLock { $0?.kill() } }
            try env.step(actions: [0, 0])  // sees the connection closed, reports, and waits for the server to be back
            let ended = [env.done[0], env.done[1]], cut = [env.truncated[0], env.truncated[1]]
            let first = env.caption(0)
            try env.step(actions: [0, 0])
            return (env.serverFailures, ended, cut, first, env.caption(0))
        }
        #expect(outcome.0 == 1)
        #expect(outcome.1 == [1, 1] && outcome.2 == [1, 1], "the episodes the server was running were cut")
        #expect(outcome.3 == "hello", "the returned server's envs start afresh")
        #expect(outcome.4 == "step 1")
        #expect(reports.lines.contains { $0.contains("the server closed the connection") }, "\(reports.lines)")
    }

    /// A server that stops answering but keeps its connection (hung, or SIGSTOPped) is reported
    /// after the reply timeout, and the env goes on once it answers again.
    @Test func aServerThatStopsAnsweringIsReportedAfterItsTimeoutAndTheEnvGoesOnWhenItAnswersAgain() async throws {
        let (server, endpoint, context, reports, logger) = try Self.servedWithLog(envs: 2)
        defer { server.kill() }
        defer { context.terminate() }
        let failures = try await offPool { () -> Int in
            _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600)
            // 10 s: long enough that no step of a loaded machine's server times out but the stopped one.
            let env = try RemoteVectorEnv(endpoints: [endpoint], seed: 1, context: context, timeout: 10, logger: logger)
            try env.step(actions: [0, 0])
            kill(server.pid, SIGSTOP)
            let resumer = Thread {
                reports.wait { $0.contains("failed; reconnecting") }
                kill(server.pid, SIGCONT)
            }
            resumer.start()
            try env.step(actions: [0, 0])  // no reply: reported after 10 s; the reopen is answered once it runs again
            try env.step(actions: [0, 0])
            return env.serverFailures
        }
        #expect(failures == 1)
        #expect(reports.lines.contains { $0.contains("no reply within 10.0 s") }, "\(reports.lines)")
    }

    @Test func aKilledServerSteppedInTwoSlicesComesBackForBoth() async throws {
        let (server, endpoint, context, reports, logger) = try Self.servedWithLog(envs: 4)
        defer { server.kill() }
        defer { context.terminate() }
        typealias Outcome = (failures: Int, ended: [UInt8], cut: [UInt8], first: String, next: String)
        let outcomes = try await offPool { () -> [Outcome] in
            _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600)
            let slices = try (0..<2).map { k in
                UncheckedSendable(try RemoteVectorEnv(slices: [EnvServerSlice(endpoint: endpoint, split: k, splits: 2)], seed: 1,
                                                      context: context, timeout: 60, logger: logger))
            }
            for slice in slices { try slice.value.step(actions: [0, 0]) }
            kill(server.pid, SIGKILL)
            while server.isRunning { usleep(10_000) }
            // Back once both slices have reported the failure: each reopens its own slice.
            let restarted = Mutex<ChildProcess?>(nil)
            let restarter = Thread {
                reports.wait { $0.contains("(slice 1 of 2) failed; reconnecting") }
                reports.wait { $0.contains("(slice 2 of 2) failed; reconnecting") }
                restarted.withLock { $0 = try? Self.serve("YendorTest-Grid-v0", envs: 4, endpoint: endpoint).0 }
            }
            restarter.start()
            defer { restarted.withLock { $0?.kill() } }
            let results = Mutex<[Int: Result<Outcome, Error>]>([:])
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                let env = slices[k].value
                let result = Result { () throws -> Outcome in
                    try env.step(actions: [0, 0])  // sees the connection closed, reports, and waits for the server to be back
                    let ended = [env.done[0], env.done[1]], cut = [env.truncated[0], env.truncated[1]]
                    let first = env.caption(0)
                    try env.step(actions: [0, 0])
                    return (env.serverFailures, ended, cut, first, env.caption(0))
                }
                results.withLock { $0[k] = result }
            }
            return try (0..<2).map { k in try results.withLock { $0[k]! }.get() }
        }
        for (k, outcome) in outcomes.enumerated() {
            #expect(outcome.failures == 1 && outcome.ended == [1, 1] && outcome.cut == [1, 1], "slice \(k + 1)")
            #expect(outcome.first == "hello" && outcome.next == "step 1", "slice \(k + 1) starts afresh")
        }
    }

    /// Too small a server refuses the slice; too large a one would change the worker's env count:
    /// both are asked again, with waits, until a fit one returns (the larger one made the worker exit).
    @Test(arguments: [(envs: 1, said: "refused a request: cannot open slice 2 of 2: this server hosts 1 envs"),
                      (envs: 8, said: "came back with 4 envs in this slice, where this worker steps 2")])
    func aServerRestartedWithAnotherEnvCountIsAskedAgainWithWaitsUntilAFitOneReturns(envs: Int, said: String) async throws {
        let (server, endpoint, context, reports, logger) = try Self.servedWithLog(envs: 4)
        defer { server.kill() }
        defer { context.terminate() }
        let outcome = try await offPool { () -> (failures: Int, refused: Int, first: String) in
            _ = try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600)
            let env = try RemoteVectorEnv(slices: [EnvServerSlice(endpoint: endpoint, split: 1, splits: 2)], seed: 1,
                                          context: context, timeout: 60, logger: logger)
            try env.step(actions: [0, 0])
            kill(server.pid, SIGKILL)
            while server.isRunning { usleep(10_000) }
            // First a server of `envs` envs; once the env has been turned down twice, a server of 4 envs again.
            let restarted = Mutex<[ChildProcess]>([])
            let restarter = Thread {
                reports.wait { $0.contains("failed; reconnecting") }
                guard let small = try? Self.serve("YendorTest-Grid-v0", envs: envs, endpoint: endpoint).0 else { return }
                restarted.withLock { $0.append(small) }
                // Two attempts turned down for this reason (under load an earlier one may time out first).
                reports.wait(count: 2) { $0.contains("failed)") && $0.contains(said) }
                small.kill()
                while small.isRunning { usleep(10_000) }
                if let fit = try? Self.serve("YendorTest-Grid-v0", envs: 4, endpoint: endpoint).0 { restarted.withLock { $0.append(fit) } }
            }
            restarter.start()
            defer { restarted.withLock { $0.forEach { $0.kill() } } }
            try env.step(actions: [0, 0])  // fails, is refused, and comes back with the fit server
            let first = env.caption(0)
            let refused = reports.lines.filter { $0.contains(said) }
            return (env.serverFailures, refused.count, first)
        }
        #expect(outcome.failures == 1)
        #expect(outcome.refused >= 2, "each attempt is logged with the reason: \(reports.lines)")
        #expect(outcome.first == "hello", "the fit server's envs start afresh")
        #expect(reports.lines.contains { $0.contains("trying again in") })
    }

    @Test func aServerWithAnotherSpecIsRefusedNamingBoth() throws {
        let (server, endpoint, context, probe) = try Self.servedAndProbed(envs: 1)
        defer { server.kill() }
        defer { context.terminate() }
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

/// The waits between attempts to reopen a failed env server (no server needed).
@Suite struct ReopenWaitTests {
    @Test func aStopRaisedWhileWaitingToReopenEndsTheWaitAtOnce() throws {
        let flag = StopFlag()
        let raiser = Thread { flag.set() }
        raiser.start()
        // A wait of an hour that the flag ends: reaching the #expect at all is the check.
        #expect(throws: CancellationError.self) { try flag.sleep(for: .seconds(3600)) }
    }

    @Test func reopenWaitsGrowFromATenthOfASecondToFiveSeconds() {
        let delays = (0..<8).map { RemoteVectorEnv.reopenBackoff.delay(retry: $0, retryAfter: nil, unit: 0.5) }
        #expect(delays.first == .milliseconds(100))
        #expect(delays.last == .seconds(5))
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
    }
}
