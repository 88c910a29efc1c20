import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import YendorAnnotatorRole
import YendorTestSupport
import YendorMetrics
import YendorAnnotator
import ZeroMQ
import Logging
@testable import YendorRuntime

@Suite("Prometheus endpoint", .serialized)
struct PrometheusEndpointTests {
    /// One scrape: sample name (with labels) → value; every line is checked for the text format.
    static func scrape(_ url: URL) async throws -> (samples: [String: Double], types: [String: String]) {
        let (data, response) = try await URLSession.shared.data(from: url)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/plain") == true)
        var samples: [String: Double] = [:], types: [String: String] = [:]
        let name = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEinfNa]+$/
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 4 && types[String(parts[2])] == nil, "one TYPE per metric: \(line)")
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            #expect(line.wholeMatch(of: name) != nil, "malformed sample line: \(line)")
            let fields = line.split(separator: " ")
            samples[String(fields[0])] = Double(fields[1])
        }
        return (samples, types)
    }

    @Test func aRunningLearnerIsScrapedTwiceWithWellFormedMetricsAndMonotonicCounters() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("prometheus")
        let port = ChildProcess.freePort()
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir",
                                                dir.appendingPathComponent("run").path, "--set", "run.prometheus_port=\(port)"] + endpoints)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "scraped"] + endpoints)
        defer { learner.kill(); worker.kill() }
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        var first: [String: Double] = [:]
        #expect(await Poll.until(timeout: 600) {
            first = (try? await Self.scrape(url).samples) ?? [:]
            return (first["yendor_env_steps{role=\"learner\"}"] ?? 0) > 0
        }, "\(learner.standardError.suffix(1500))")
        let steps = first["yendor_env_steps{role=\"learner\"}"] ?? 0
        var second: (samples: [String: Double], types: [String: String]) = ([:], [:])
        #expect(await Poll.until(timeout: 600) {
            second = (try? await Self.scrape(url)) ?? ([:], [:])
            // The membership gauge is set with each metrics record, which may come after the steps;
            // the losses with the first update, which may come after both (a loaded machine).
            return (second.samples["yendor_env_steps{role=\"learner\"}"] ?? 0) > steps
                && second.samples["yendor_membership_workers{role=\"learner\"}"] == 1
                && (second.samples["yendor_learner_updates{role=\"learner\"}"] ?? 0) >= 1
        }, "\(second.samples.filter { $0.key.contains("membership") })")
        #expect(second.types["yendor_env_steps"] == "counter" && second.types["yendor_learner_loss_policy"] == "gauge")
        // Counters are there from the start, at 0 until something happens (docs/running.md).
        #expect(first["yendor_learner_checkpoint_failures{role=\"learner\"}"] == 0, "\(first.keys.sorted())")
        for (sample, value) in first where second.types[String(sample.prefix { $0 != "{" })] == "counter" {
            #expect((second.samples[sample] ?? -1) >= value, "counter \(sample) went down: \(value) → \(second.samples[sample] ?? -1)")
        }
        // The learner's view of each worker is a series of its own, which goes when the worker does.
        let trajectories = "yendor_membership_worker_trajectories{role=\"learner\",worker=\"scraped\"}"
        #expect(await Poll.until(timeout: 600) {
            ((try? await Self.scrape(url).samples) ?? [:])[trajectories] ?? 0 > 0
        })
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit() == 0)
        var last: [String: Double] = [:]
        #expect(await Poll.until(timeout: 600) {
            last = (try? await Self.scrape(url).samples) ?? [:]
            return last["yendor_membership_workers{role=\"learner\"}"] == 0 && !last.keys.contains { $0.hasPrefix("yendor_membership_worker_") }
        }, "\(last.filter { $0.key.contains("membership") })")
    }

    /// A metrics port another process holds ends the role naming the setting; it logged "metrics
    /// on http://…" first, then a bare "SocketError. Bind(98)". It is found before the run
    /// directory is made (it was found after the first records), and a worker's too.
    @Test func aPrometheusPortInUseIsRefusedNamingTheSettingBeforeTheRunDirectoryIsMade() async throws {
        let context = try Context()
        defer { context.terminate() }
        let holder = try Socket(context: context, type: .pull)
        defer { holder.close() }
        try holder.bind("tcp://0.0.0.0:*")
        let port = try #require(holder.lastEndpoint.split(separator: ":").last.map(String.init))
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("prometheus-taken")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path,
                                                "--set", "run.prometheus_port=\(port)"] + endpoints)
        defer { learner.kill() }
        #expect(await learner.waitForExit(timeout: 600) == 64, "\(learner.standardError.suffix(1500))")
        #expect(learner.standardError.contains("run.prometheus_port") && learner.standardError.contains("cannot serve /metrics on 0.0.0.0:\(port)"),
                "\(learner.standardError.suffix(1500))")
        #expect(!learner.standardError.contains("Prometheus metrics on"), "said before the port was bound")
        #expect(learner.standardError.contains("Address already in use"), "\(learner.standardError.suffix(1500))")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run").path), "no run directory for a learner that did not start")
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--set", "run.prometheus_port=\(port)"] + endpoints)
        defer { worker.kill() }
        #expect(await worker.waitForExit(timeout: 600) == 64, "\(worker.standardError.suffix(1500))")
        #expect(worker.standardError.contains("run.prometheus_port") && worker.standardError.contains("cannot serve /metrics on 0.0.0.0:\(port)"),
                "\(worker.standardError.suffix(1500))")
    }

    @Test func aRunningWorkerIsScrapedWithItsIdAndItsCountersGrow() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("prometheus-worker")
        let port = ChildProcess.freePort()
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir",
                                                dir.appendingPathComponent("run").path] + endpoints)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "w7", "--set", "run.prometheus_port=\(port)"] + endpoints)
        defer { learner.kill(); worker.kill() }
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        let steps = "yendor_env_steps{role=\"worker\",worker=\"w7\"}"
        let sent = "yendor_rollout_trajectories_sent{role=\"worker\",worker=\"w7\"}"
        var first: [String: Double] = [:]
        #expect(await Poll.until(timeout: 600) {
            first = (try? await Self.scrape(url).samples) ?? [:]
            return (first[steps] ?? 0) > 0
        }, "\(worker.standardError.suffix(1500)) \(first.keys.sorted())")
        var second: (samples: [String: Double], types: [String: String]) = ([:], [:])
        #expect(await Poll.until(timeout: 600) {
            second = (try? await Self.scrape(url)) ?? ([:], [:])
            return (second.samples[sent] ?? 0) > (first[sent] ?? 0)
        })
        #expect(second.types["yendor_env_steps"] == "counter" && second.types["yendor_rollout_outbox_depth"] == "gauge")
        // Every trajectory is 16 steps × 4 envs (TinyRun): the counters agree, give or take the one
        // trajectory sent between the two reads of a record.
        let s = second.samples, trajectories = s[sent] ?? 0
        #expect((s[steps] ?? -1) <= trajectories * 64 && (s[steps] ?? -1) >= (trajectories - 1) * 64, "\(s[steps] ?? -1) steps, \(trajectories) trajectories")
        #expect(s["yendor_rollout_outbox_depth{role=\"worker\",worker=\"w7\"}"] != nil)
        #expect(s["yendor_transport_frames_dropped{role=\"worker\",worker=\"w7\"}"] == 0, "\(s.keys.sorted())")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: 60) == 0)
    }

    /// Scraped on every interface by default; with `--prometheus-host` on that interface only: on
    /// 127.0.0.2 (loopback, like any 127/8 address on Linux) it answers there and 127.0.0.1 is refused.
    @Test(arguments: [nil, "127.0.0.2"])
    func aRunningAnnotatorIsScrapedOnTheHostGiven(_ host: String?) async throws {
        let dir = Scratch.root.appendingPathComponent("prom-annotator-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let port = ChildProcess.freePort()
        let annotator = try ChildProcess(yendor: ["annotator", "--requests", "tcp://127.0.0.1:\(ChildProcess.freePort())",
                                                  "--labels", "tcp://127.0.0.1:\(ChildProcess.freePort())",
                                                  "--store", dir.appendingPathComponent("labels.sqlite").path, "--prometheus-port", "\(port)"]
                                                  + (host.map { ["--prometheus-host", $0] } ?? []))
        defer { annotator.kill() }
        var samples: [String: Double] = [:]
        #expect(await Poll.until(timeout: 600) {
            samples = (try? await Self.scrape(URL(string: "http://\(host ?? "127.0.0.1"):\(port)/metrics")!).samples) ?? [:]
            return samples["yendor_annotator_queue_depth{role=\"annotator\"}"] != nil
        }, "\(annotator.standardError.suffix(1500)) \(samples.keys.sorted())")
        // Logged once the port is bound, which may come just after the first scrape is answered.
        #expect(await Poll.until(timeout: 600) { annotator.standardError.contains("Prometheus metrics on http://\(host ?? "0.0.0.0"):\(port)/metrics") })
        if host != nil {
            await #expect(throws: (any Error).self) { _ = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) }
        }
        annotator.signal(SIGTERM)
        #expect(await annotator.waitForExit(timeout: 60) == 0)
    }

    /// An IPv4 address no interface here has (192.0.2.1, a documentation address) is the host's
    /// fault, not the port's: it was named as run.prometheus_port, "another process listens there?".
    @Test func aHostThisMachineDoesNotHaveIsRefusedNamingTheHostSetting() {
        #expect { try PrometheusEndpoint.checkAvailable(port: ChildProcess.freePort(), host: "192.0.2.1") } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field == "run.prometheus_host" && e.problem.contains("no interface of this machine has 192.0.2.1")
        }
    }

    /// Over the registries of the four roles, as they are made at start: every name is namespaced,
    /// its Prometheus name is its own, and a name two roles share (they may share a process and so
    /// a Prometheus registry, which refuses one name as two types) is one kind in both.
    @Test func metricNamesAreUniqueNamespacedAndOneKindAcrossRoles() throws {
        let (registries, cleanUp) = try Self.roleRegistries()
        defer { cleanUp() }
        var kinds: [String: MetricsRegistry.Kind] = [:]
        var prometheusNames: [String: String] = [:]
        for registry in registries {
            #expect(registry.labels.count >= 6)
            for (label, kind) in registry.labels {
                #expect(label == "env_steps" || label.wholeMatch(of: /[a-z_]+(\/[a-z0-9_]+)+/) != nil, "not namespaced: \(label)")
                #expect(kinds[label, default: kind] == kind, "\(label) is a \(kind) here and a \(kinds[label]!) in another role")
                kinds[label] = kind
                let name = PrometheusEndpoint.sanitize(label)
                #expect(prometheusNames[name, default: label] == label, "\(label) and \(prometheusNames[name]!) are both \(name)")
                prometheusNames[name] = label
                #expect(name.hasPrefix("yendor_") && name.wholeMatch(of: /[a-zA-Z_:][a-zA-Z0-9_:]*/) != nil)
            }
        }
        #expect(kinds["env_steps"] == .counter && kinds["learner/loss/policy"] == .gauge && kinds["annotator/labeled"] == .counter)
        #expect(kinds["replay/inserted"] == .counter && kinds["replay/size"] == .gauge)
        #expect(PrometheusEndpoint.sanitize("learner/loss/policy") == "yendor_learner_loss_policy")
    }

    /// Every metric the four roles make at start, and the learner's per-worker series, is in
    /// docs/running.md's reference table (as `` `name` ``): a user reading a record or a dashboard
    /// can look each one up (`membership/worker_trajectories_ahead` was missing, trial V5).
    @Test func everyMetricARoleMakesIsInTheDocumentedReference() throws {
        let (registries, cleanUp) = try Self.roleRegistries()
        defer { cleanUp() }
        let docs = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/running.md").standardized, encoding: .utf8)
        let reference = try #require(docs.range(of: "## Metrics reference").map { String(docs[$0.lowerBound...]) })
        // With the per-worker series a learner makes once workers join (none have at start).
        let perWorker = LearnerMetrics.memberFigureNames.map { "membership/worker_\($0)" }
        let missing = Set(registries.flatMap { $0.labels.map(\.label) } + perWorker).filter { !reference.contains("`\($0)`") }.sorted()
        #expect(missing.isEmpty, "not in docs/running.md's metrics reference: \(missing.joined(separator: ", "))")
    }

    /// The registries of the learner, a worker, the annotator and the replay role, as they are made
    /// at start, and what removes their files.
    static func roleRegistries() throws -> (registries: [MetricsRegistry], cleanUp: () -> Void) {
        let learner = MetricsRegistry(role: "learner", forwarding: .none)
        _ = LearnerMetrics(registry: learner)
        let context = try Context()
        let worker = WorkerService(configuration: TrainingConfiguration(), workerID: "w", trajectories: "inproc://t", weights: "inproc://w",
                                   context: context, logger: Logger(label: "test"),
                                   metrics: MetricsRegistry(role: "worker", forwarding: .none)).metrics
        var c = AnnotatorServer.Configuration()
        c.storePath = Scratch.path + "yendor-metric-names-\(getpid()).sqlite"
        let annotator = try AnnotatorServer(configuration: c, context: context, logger: Logger(label: "test"),
                                            metrics: MetricsRegistry(role: "annotator", forwarding: .none)).metrics
        let replay = ReplayService(configuration: TrainingConfiguration(), learnerTrajectories: "inproc://t", context: context,
                                   runDirectory: try RunDirectory(path: Scratch.path + "yendor-metric-names-replay-\(getpid())"),
                                   logger: Logger(label: "test"), metrics: MetricsRegistry(role: "replay", forwarding: .none)).metrics
        let store = c.storePath
        return ([learner, worker, annotator, replay], {
            context.terminate()
            try? FileManager.default.removeItem(atPath: store)
        })
    }
}
