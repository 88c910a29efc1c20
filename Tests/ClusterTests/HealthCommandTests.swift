import Foundation
import Testing
import YendorTestSupport

/// `yendor health` against real roles over real sockets.
extension ClusterSuite {
@Suite("yendor health")
struct HealthCommandTests {
    @Test func learnerHealthSucceedsOnceTheLearnerPublishesHeartbeats() async throws {
        let (dir, config) = try ClusterFixtures.scratch("health-up")
        let (learner, weights) = try ClusterFixtures.learner(dir, config: config)
        defer { learner.kill() }
        #expect(await learner.waitForStandardError(containing: "learner listening"))
        let health = try await ClusterFixtures.yendor(["health", "learner", "--endpoint", "tcp://127.0.0.1:\(weights)", "--timeout", "20"])
        #expect(health.status == 0, "\(health.errors)")
        #expect(health.output.contains("learner at tcp://127.0.0.1:\(weights) is up"))
        #expect(health.output.contains("from learner"))
    }

    /// health and status take a role's whole command line (job scripts pass it) but use only what
    /// locates the role: their help puts the role's under a heading of their own, explained in the
    /// discussion, instead of one list where --steps looked like something a probe uses.
    @Test(arguments: ["health", "status"])
    func aProbesHelpSetsTheRolesOwnOptionsApart(command: String) async throws {
        let help = try await ClusterFixtures.yendor([command, "--help"])
        #expect(help.status == 0, "\(help.errors)")
        let text = help.output
        #expect(text.contains("ROLE OPTIONS are the probed role's own"), "no explanation in:\n\(text)")
        let roles = try #require(text.range(of: "\nROLE OPTIONS:\n"), "no heading in:\n\(text)")
        let own = try #require(text.range(of: "\nOPTIONS:\n"))
        let steps = try #require(text.range(of: "--steps <steps>")), timeout = try #require(text.range(of: "--timeout <timeout>"))
        #expect(roles.upperBound <= steps.lowerBound && steps.upperBound <= own.lowerBound, "the role's --steps is not under ROLE OPTIONS")
        #expect(own.upperBound <= timeout.lowerBound, "the probe's own --timeout is not under OPTIONS")
    }

    @Test func healthFailsWithAClearMessageWhenNothingAnswers() async throws {
        let port = ChildProcess.freePort()
        let health = try await ClusterFixtures.yendor(["health", "learner", "--endpoint", "tcp://127.0.0.1:\(port)", "--timeout", "0.5"])
        #expect(health.status == 1)
        #expect(health.errors.contains("no heartbeat from the learner at tcp://127.0.0.1:\(port) within 0.5 s"))
    }

    @Test func annotatorHealthListensOnTheConfiguredLabelsEndpointByDefault() async throws {
        let port = ChildProcess.freePort()
        let health = try await ClusterFixtures.yendor(["health", "annotator", "--timeout", "0.3",
                                                       "--set", "transport.annotator_labels=tcp://0.0.0.0:\(port)"])
        #expect(health.status == 1)
        #expect(health.errors.contains("no heartbeat from the annotator at tcp://127.0.0.1:\(port)"), "\(health.errors)")
    }

    /// A probe pointed at another role's port must fail: before, any heartbeat passed, so
    /// `health learner` on the annotator's labels port said the learner was up.
    @Test func aProbeForOneRoleFailsOnAnotherRolesPort() async throws {
        let (dir, _) = try ClusterFixtures.scratch("health-wrong-role")
        let requests = ChildProcess.ipcEndpoint("health-requests"), labels = ChildProcess.ipcEndpoint("health-labels")
        let annotator = try ChildProcess(yendor: ["annotator", "--requests", requests, "--labels", labels,
                                                  "--store", dir.appendingPathComponent("labels.sqlite").path, "--status-interval-s", "0"])
        defer { annotator.kill() }
        #expect(await annotator.waitForLine(timeout: 600) { $0.hasPrefix("annotator ready") } != nil, "\(annotator.standardError)")
        let up = try await ClusterFixtures.yendor(["health", "annotator", "--endpoint", labels, "--timeout", "600"])
        #expect(up.status == 0, "\(up.errors)")
        #expect(up.output.contains("annotator at \(labels) is up"), "\(up.output)")
        // Its status is a table (it was 28 raw counters): the queue, latency and errors by name.
        let status = try await ClusterFixtures.yendor(["status", "annotator", "--endpoint", labels, "--once", "--timeout", "600"])
        #expect(status.status == 0, "\(status.errors)")
        // No answer yet: no latency to show, not 0 ms (trial W).
        #expect(status.output.contains("queue 0   in flight 0   labeled 0") && status.output.contains("latency -   (no answer yet)")
                && status.output.contains("errors: none") && !status.output.contains("started_at"), "\(status.output)")
        let wrong = try await ClusterFixtures.yendor(["health", "learner", "--endpoint", labels, "--timeout", "3"])
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.errors.contains("no heartbeat from the learner at \(labels)"), "\(wrong.errors)")
    }

    @Test func withCurveOnlyAnAllowedKeyHearsTheLearner() async throws {
        let (dir, config) = try ClusterFixtures.scratch("health-curve")
        let keys = dir.appendingPathComponent("keys").path, allowed = dir.appendingPathComponent("allowed").path
        for name in ["learner", "probe", "stranger"] {
            #expect(try await ClusterFixtures.yendor(["keys", "generate", "--directory", keys, name]).status == 0)
        }
        try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(keys)/probe.pub", toPath: "\(allowed)/probe.pub")
        let (learner, weights) = try ClusterFixtures.learner(dir, config: config, extra: [
            "--set", "transport.curve_secret_key_file=\(keys)/learner.key", "--set", "transport.curve_allowed_clients=\(allowed)",
        ])
        defer { learner.kill() }
        #expect(await learner.waitForStandardError(containing: "learner listening"))
        func probe(_ key: String?, timeout: String) async throws -> (status: Int32?, output: String, errors: String) {
            let curve = key.map { ["--set", "transport.curve_secret_key_file=\(keys)/\($0).key",
                                   "--set", "transport.curve_server_key=\(keys)/learner.pub"] } ?? []
            return try await ClusterFixtures.yendor(["health", "learner", "--endpoint", "tcp://127.0.0.1:\(weights)", "--timeout", timeout] + curve)
        }
        let allowedProbe = try await probe("probe", timeout: "20")
        #expect(allowedProbe.status == 0, "\(allowedProbe.errors)")
        // Given only the run directory, the probe has the learner's secret key and no server key:
        // it says what a probe needs (it said only that the server's key was missing).
        let bare = try await ClusterFixtures.yendor(["health", "learner", "--run-dir", dir.appendingPathComponent("run").path, "--timeout", "1"])
        #expect(bare.status == 64 && bare.errors.contains("the learner uses CURVE, so the probe needs a key pair on its allow-list"), "\(bare.errors)")
        let stranger = try await probe("stranger", timeout: "1.5")
        #expect(stranger.status == 1)
        #expect(stranger.errors.contains("CURVE is on"))
        // The learner says whom it refused (it said nothing: a revoked key looked like a learner down).
        let strangerKey = try String(contentsOfFile: "\(keys)/stranger.pub", encoding: .utf8).split(whereSeparator: \.isNewline).first.map(String.init) ?? "?"
        #expect(await learner.waitForStandardError(containing: "public key \(strangerKey) is not on the allow-list \(allowed)", timeout: 600),
                "\(learner.standardError.suffix(1500))")
        // A worker with that key is told by its own socket's monitor, and says so (it said only "no
        // connection", as for a learner that is down).
        let trajectories = try #require(learner.standardError.firstMatch(of: /trajectories=(tcp:\/\/[0-9.]+:[0-9]+)/).map { String($0.1) })
        let intruder = try ChildProcess(yendor: ["worker", "--config", config, "--id", "intruder",
                                                 "--set", "transport.trajectories=\(trajectories)", "--set", "transport.weights=tcp://127.0.0.1:\(weights)",
                                                 "--set", "transport.curve_secret_key_file=\(keys)/stranger.key",
                                                 "--set", "transport.curve_server_key=\(keys)/learner.pub"])
        defer { intruder.kill() }
        #expect(await intruder.waitForStandardError(containing: "refused this worker's CURVE key (public key \(strangerKey))", timeout: 600),
                "\(intruder.standardError.suffix(1500))")
        #expect(try await probe(nil, timeout: "1.5").status == 1, "a probe without CURVE hears nothing")
    }

    @Test func workerHealthFailsWhenItsProcessIsGone() async throws {
        let (dir, _) = try ClusterFixtures.scratch("health-pid")
        let pidFile = dir.appendingPathComponent("worker.pid").path
        // A process id that cannot exist (above the kernel's pid_max).
        try "99999999\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        let gone = try await ClusterFixtures.yendor(["health", "worker", "--pid-file", pidFile, "--timeout", "0.3"])
        #expect(gone.status == 1)
        #expect(gone.errors.contains("worker process 99999999"), "\(gone.errors)")
        try "not a pid".write(toFile: pidFile, atomically: true, encoding: .utf8)
        let garbage = try await ClusterFixtures.yendor(["health", "worker", "--pid-file", pidFile, "--timeout", "0.3"])
        #expect(garbage.status == 1)
        #expect(garbage.errors.contains("does not hold a process id"))
    }

    @Test func workerHealthPassesWhenItsProcessLivesAndTheLearnerIsReachable() async throws {
        let (dir, config) = try ClusterFixtures.scratch("health-worker")
        let (learner, weights) = try ClusterFixtures.learner(dir, config: config)
        defer { learner.kill() }
        let pidFile = dir.appendingPathComponent("worker.pid").path
        try "\(learner.pid)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)  // any live process will do
        let health = try await ClusterFixtures.yendor(["health", "worker", "--pid-file", pidFile,
                                                       "--endpoint", "tcp://127.0.0.1:\(weights)", "--timeout", "20"])
        #expect(health.status == 0, "\(health.errors)")
        #expect(health.output.contains("learner (seen from this worker)"))
    }
}
}
