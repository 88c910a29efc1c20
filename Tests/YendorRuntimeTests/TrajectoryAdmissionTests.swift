import Foundation
import Synchronization
import Testing
@testable import YendorRuntime
import YendorTestSupport
import YendorWire
import ZeroMQ

/// A real `yendor learner` process fed over a real socket by this test acting as a hostile or
/// misconfigured worker, beside a legitimate `yendor worker`: every bad trajectory is dropped and
/// counted by reason in metrics.jsonl, and the learner survives and keeps training.
@Suite("Trajectory admission", .serialized)
struct TrajectoryAdmissionTests {
    /// A learner (tiny configuration), its legitimate worker `good`, and this test's own sockets.
    final class Fixture: Sendable {
        let learner: ChildProcess, good: ChildProcess?
        let run: URL, config: String
        let endpoints: [String]
        let configuration: TrainingConfiguration
        let context: Context
        let push: AsyncSocket, sub: AsyncSocket
        /// Goodbyes the learner published, as (addressee, reason).
        let goodbyes = Mutex<[(id: String, reason: String)]>([])
        /// The policy version of every weights message the learner published, in order.
        let publishedVersions = Mutex<[UInt64]>([])
        /// The values of the learner's latest Stats message.
        let stats = Mutex<[String: Double]>([:])

        /// A learner started with `learnerArguments` added, and the legitimate worker `good` unless
        /// `goodWorker` is false.
        init(_ name: String, goodWorker: Bool = true, learnerArguments: [String] = []) async throws {
            let (dir, config) = try TinyRun.scratch(name, checkpointInterval: 60)
            self.config = config
            run = dir.appendingPathComponent("run")
            let trajectories = ChildProcess.ipcEndpoint("\(name)-trajectories"), weights = ChildProcess.ipcEndpoint("\(name)-weights")
            endpoints = ["--set", "transport.trajectories=\(trajectories)", "--set", "transport.weights=\(weights)"]
            learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run.path]
                                       + endpoints + learnerArguments)
            good = goodWorker ? try ChildProcess(yendor: ["worker", "--config", config, "--id", "good"] + endpoints) : nil
            var c = TrainingConfiguration()
            try TrainingConfiguration.table.apply(yamlFile: config, to: &c)
            configuration = c
            context = try Context()
            push = try await AsyncSocket(context: context, type: .push, name: "test.push") { s in
                try s.set([.linger(milliseconds: 0), .sendHighWaterMark(64)])
                try s.connect(trajectories)
            }
            sub = try await AsyncSocket(context: context, type: .sub, name: "test.sub", inboxCapacity: 1024) { s in
                try s.set([.subscribe([]), .linger(milliseconds: 0)])
                try s.connect(weights)
            }
            // Drains the learner's PUB so its high-water mark never drops what the test waits for.
            Task { [self] in
                while let parts = await sub.receive() {
                    guard let frame = parts.last, let message = try? frame.withUnsafeBytes({ try WireMessage.decode($0) }) else { continue }
                    switch message {
                    case .goodbye(let g): goodbyes.withLock { $0.append((g.id, g.reason)) }
                    case .policyUpdate(let u): publishedVersions.withLock { $0.append(u.version) }
                    case .stats(let s): stats.withLock { $0 = Dictionary(s.values, uniquingKeysWith: { $1 }) }
                    default: break
                    }
                }
            }
        }

        /// Runs `body` with a fresh fixture and stops its processes and sockets afterwards.
        static func with(_ name: String, goodWorker: Bool = true, learnerArguments: [String] = [],
                         _ body: (Fixture) async throws -> Void) async throws {
            let f = try await Fixture(name, goodWorker: goodWorker, learnerArguments: learnerArguments)
            do { try await body(f) } catch {
                await f.stop()
                throw error
            }
            await f.stop()
        }

        func stop() async {
            good?.kill()
            learner.kill()
            await push.close()
            await sub.close()
            context.terminate()
        }

        /// Says Hello as worker `id` with the capabilities the learner expects (or `overrides`).
        /// `instance`, if given, is sent as the Hello's `instance` tag.
        func hello(_ id: String, overrides: [String: String] = [:], instance: String? = nil) async throws {
            let c = configuration
            var caps = [("obs_layout", c.observationSpec.fingerprint), ("model", c.modelSignature),
                        ("trajectory", c.trajectoryValidator.fingerprint), ("task", c.env.task), ("envs", "2")]
            caps = caps.map { ($0.0, overrides[$0.0] ?? $0.1) }
            if let instance { caps.append(("instance", instance)) }
            try await push.send(Hello(role: "worker", id: id, capabilities: caps.map { (key: $0.0, value: $0.1) }).encoded())
        }

        /// A well-formed trajectory of the learner's sizes from worker `id` (2 envs, all-zero
        /// observations, the empty caption), changed by `edit`.
        /// A well-formed trajectory of the learner's sizes from worker `id` (2 envs, every observation
        /// array the learner's validator lists at the low end of its range, the empty caption),
        /// changed by `edit`.
        func batch(_ id: String, _ edit: (inout TrajectoryBatch) -> Void = { _ in }) -> TrajectoryBatch {
            let c = configuration, validator = c.trajectoryValidator
            let t = validator.rolloutLength, b = 2, rows = t + 1, n = t * b
            var observations = validator.observations.map { spec in
                var a = NamedArray(name: spec.name, dtype: spec.dtype, shape: [rows, b] + spec.shape,
                                   bytes: [UInt8](repeating: 0, count: ([rows, b] + spec.shape).reduce(1, *) * spec.dtype.size))
                if let low = spec.range?.lowerBound, low != 0 { Self.fill(&a, low) }
                return a
            }
            observations.append(NamedArray(name: "caption_index", shape: [rows, b], values: [Int32](repeating: 0, count: rows * b)))
            var batch = TrajectoryBatch(
                workerID: id, task: c.env.task, policyVersion: 0, steps: t, envs: b, observations: observations,
                actions: [Int32](repeating: 0, count: n), behaviourLogProbs: [Float](repeating: -1, count: n),
                values: [Float](repeating: 0, count: n), rewards: [Float](repeating: 0, count: n),
                dones: [UInt8](repeating: 0, count: n), truncated: [UInt8](repeating: 0, count: n), envIDs: [0, 1],
                policyVersions: [Int32](repeating: 0, count: n), captions: [""],
                captionIndex: [Int32](repeating: 0, count: n), captionCount: [Int32](repeating: 1, count: n), episodes: [])
            edit(&batch)
            return batch
        }

        /// Sets every element of an integer array to `value`.
        static func fill(_ a: inout NamedArray, _ value: Int64) {
            for i in 0..<a.count { set(&a, at: i, to: value) }
        }

        /// Sets element `index` of an integer array to `value` (truncated to its dtype).
        static func set(_ a: inout NamedArray, at index: Int, to value: Int64) {
            let size = a.dtype.size
            withUnsafeBytes(of: value.littleEndian) { v in
                for k in 0..<size { a.bytes[index * size + k] = v[k] }
            }
        }

        /// The name of the observation array holding glyph ids (`obs/crop` for the Dungeon).
        var glyphArray: String { configuration.trajectoryValidator.observations.first { $0.rangeReason == .glyphRange }!.name }

        func send(_ batch: TrajectoryBatch) async throws { try await push.send(batch.encoded()) }

        /// The newest value of a metric in metrics.jsonl (0 before it appears).
        func metric(_ key: String) -> Double {
            ((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?[key]) ?? 0
        }

        /// Waits until metric `key` reaches `value` (or the learner exits, or `timeout` passes).
        func waitFor(_ key: String, atLeast value: Double, timeout: Double = 120) async -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline && learner.isRunning {
                if metric(key) >= value { return true }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return metric(key) >= value
        }

        /// Sets element `index` of observation array `name` to `value`.
        func setObservation(_ b: inout TrajectoryBatch, _ name: String, at index: Int, to value: Int64) {
            let i = b.observations.firstIndex { $0.name == name }!
            Self.set(&b.observations[i], at: index, to: value)
        }
    }

    /// One bad value each, as the issue reported them (each alone stopped the learner before).
    static let badValues: [(name: String, reason: String, edit: @Sendable (inout TrajectoryBatch, Fixture) -> Void)] = [
        ("action 99", "action_range", { b, _ in b.actions[3] = 99 }),
        ("action -5", "action_range", { b, _ in b.actions[0] = -5 }),
        ("NaN reward", "reward", { b, _ in b.rewards[5] = .nan }),
        ("infinite reward", "reward", { b, _ in b.rewards[5] = .infinity }),
        ("NaN behaviour log-prob", "log_prob", { b, _ in b.behaviourLogProbs[1] = .nan }),
        ("positive behaviour log-prob", "log_prob", { b, _ in b.behaviourLogProbs[1] = 0.5 }),
        ("glyph 30000", "glyph_range", { b, f in f.setObservation(&b, f.glyphArray, at: 40, to: 30000) }),
        ("glyph -7", "glyph_range", { b, f in f.setObservation(&b, f.glyphArray, at: 0, to: -7) }),
        ("obs/caption_index outside the caption table", "caption_index", { b, f in f.setObservation(&b, "caption_index", at: 2, to: 1) }),
    ]

    @Test func eachBadValueIsDroppedAndCountedByReasonWhileALegitimateWorkerKeepsTraining() async throws {
        try await Fixture.with("admission-values") { f in
            #expect(await f.learner.waitForStandardError(containing: "worker good joined", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            #expect(await f.waitFor("learner/updates", atLeast: 1), "the learner never trained: \(f.learner.standardError.suffix(1500))")

            var expected: [String: Double] = [:]
            for (i, bad) in Self.badValues.enumerated() {
                // A fresh worker id per case: each case is one bad trajectory from an admitted worker.
                let id = "bad-\(i)"
                try await f.hello(id)
                try await f.send(f.batch(id) { bad.edit(&$0, f) })
                expected[bad.reason, default: 0] += 1
                let key = "transport/frames_dropped/\(bad.reason)"
                #expect(await f.waitFor(key, atLeast: expected[bad.reason]!, timeout: 600),
                        "\(bad.name): \(key) = \(f.metric(key)), expected \(expected[bad.reason]!)\n\(f.learner.standardError.suffix(1500))")
                #expect(f.learner.isRunning, "\(bad.name) stopped the learner: \(f.learner.standardError.suffix(1500))")
            }
            #expect(await f.learner.waitForStandardError(containing: "dropped a trajectory from bad-0: action_range: actions[3] = 99 is outside 0..<", timeout: 600),
                    "\(f.learner.standardError.suffix(1500))")

            // The legitimate worker is still a member and the learner still makes updates from it.
            let updates = f.metric("learner/updates")
            #expect(await f.waitFor("learner/updates", atLeast: updates + 3), "no updates after the bad trajectories: \(f.learner.standardError.suffix(1500))")
            #expect(f.metric("membership/workers") >= 1)
            #expect(!f.learner.standardError.contains("learner stopped"), "\(f.learner.standardError.suffix(1500))")
        }
    }

    @Test func aPeerThatNeverSaidHelloIsDroppedAndAWorkerThatKeepsSendingBadTrajectoriesIsEvicted() async throws {
        try await Fixture.with("admission-membership") { f in
            #expect(await f.learner.waitForStandardError(containing: "worker good joined", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            #expect(await f.waitFor("learner/updates", atLeast: 1), "the learner never trained: \(f.learner.standardError.suffix(1500))")

            // No Hello: a well-formed trajectory is dropped as not admitted.
            try await f.send(f.batch("stranger"))
            #expect(await f.waitFor("transport/frames_dropped/not_admitted", atLeast: 1, timeout: 600), "\(f.learner.standardError.suffix(1500))")
            #expect(await f.learner.waitForStandardError(containing: "dropped a trajectory from stranger, which has not said Hello", timeout: 600))

            // A trajectory that overtakes its worker's first Hello (they come on two connections) is
            // held for it and taken in when the Hello admits the worker, not dropped.
            try await f.send(f.batch("early"))
            try await f.hello("early")
            #expect(await f.learner.waitForStandardError(containing: "taking in 1 trajectory from worker early that came before its Hello", timeout: 600),
                    "\(f.learner.standardError.suffix(1500))")
            #expect(!f.learner.standardError.contains("dropped a trajectory from early"))
            // A learner started again hears a worker's queued trajectories before that worker's next
            // Hello: a dozen are held for it, not four with the rest dropped.
            for _ in 0..<12 { try await f.send(f.batch("queued")) }
            try await f.hello("queued")
            #expect(await f.learner.waitForStandardError(containing: "taking in 12 trajectories from worker queued that came before its Hello", timeout: 600),
                    "\(f.learner.standardError.suffix(1500))")
            // What a refused worker sent before its Hello goes with the refusal: the same id admitted
            // next (with the right configuration) does not get it, where each would count as a strike.
            for _ in 0..<3 { try await f.send(f.batch("refit")) }
            try await f.hello("refit", overrides: ["trajectory": "trajectory-v1 steps=99"])
            try await f.hello("refit")
            #expect(await f.learner.waitForStandardError(containing: "worker refit joined", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            try await f.hello("marker")  // logged after anything the learner did on refit's Hello
            #expect(await f.learner.waitForStandardError(containing: "worker marker joined", timeout: 600))
            #expect(!f.learner.standardError.contains("from worker refit that came before its Hello"), "\(f.learner.standardError.suffix(1500))")

            // A Hello without the trajectory fingerprint (an old or foreign worker) is refused, naming it.
            try await f.hello("old", overrides: ["trajectory": "trajectory-v1 steps=99"])
            #expect(await f.learner.waitForStandardError(containing: "refusing worker old: trajectory shape differs: learner steps=\(f.configuration.env.rolloutLength), worker steps=99", timeout: 600),
                    "\(f.learner.standardError.suffix(1500))")
            try await f.send(f.batch("old"))
            #expect(await f.waitFor("transport/frames_dropped/not_admitted", atLeast: 2, timeout: 600))

            // Five rejected trajectories in a row evict the worker, named in the log.
            let limit = f.configuration.transport.evictAfterBadBatches
            try await f.hello("repeat")
            for _ in 0..<limit { try await f.send(f.batch("repeat") { $0.actions[0] = 99 }) }
            #expect(await f.learner.waitForStandardError(containing: "evicting worker repeat: its last \(limit) trajectories were rejected", timeout: 600),
                    "\(f.learner.standardError.suffix(1500))")
            #expect(await f.waitFor("membership/evictions", atLeast: 1, timeout: 600))
            // Its next trajectory, well-formed or not, is not admitted; its Hellos are refused for a while,
            // and it is told so on the weights socket (sent again for every Hello, so none can be missed).
            try await f.send(f.batch("repeat"))
            #expect(await f.waitFor("transport/frames_dropped/not_admitted", atLeast: 3, timeout: 600))
            func told(_ prefix: String) -> Bool { f.goodbyes.withLock { $0.contains { $0.id == "repeat" && $0.reason.hasPrefix(prefix) } } }
            let deadline = Date().addingTimeInterval(60)
            // (The Goodbye sent at the eviction itself is not awaited: a PUB socket may drop a message
            // for a slow subscriber, and that one is sent once. The refusal is sent for every Hello.)
            while !told("refused: evicted for sending") && Date() < deadline {
                try await f.hello("repeat")
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(told("refused: evicted for sending rejected trajectories"), "goodbyes: \(f.goodbyes.withLock { $0 })")
            #expect(await f.learner.waitForStandardError(containing: "refusing worker repeat: evicted for sending rejected trajectories", timeout: 600))
            #expect(await f.waitFor("membership/hellos_refused", atLeast: 2, timeout: 600), "old and repeat")

            let updates = f.metric("learner/updates")
            #expect(await f.waitFor("learner/updates", atLeast: updates + 3), "no updates afterwards: \(f.learner.standardError.suffix(1500))")
            #expect(f.metric("membership/workers") >= 1)
        }
    }

    /// A worker whose weights come from another learner (its weights endpoint reaches another
    /// run's) sends trajectories acted with versions this learner never had: counted per worker
    /// (`worker/<id>/trajectories_ahead`, which the learner's log names after a minute).
    @Test func trajectoriesActedWithAVersionAheadOfTheLearnersAreCountedForTheirWorker() async throws {
        try await Fixture.with("admission-ahead", goodWorker: false) { f in
            #expect(await f.learner.waitForStandardError(containing: "learner listening", timeout: 600))
            try await f.hello("elsewhere")
            let ahead = f.batch("elsewhere") { b in
                b.policyVersion = 1_000_000
                b.policyVersions = [Int32](repeating: 1_000_000, count: b.policyVersions.count)
            }
            let sent = await Poll.until(timeout: 600) {
                try? await f.send(ahead)
                return f.stats.withLock { $0["worker/elsewhere/trajectories_ahead"] ?? 0 } >= 1
            }
            #expect(sent, "\(f.learner.standardError.suffix(1500))")
            #expect(f.stats.withLock { $0["worker/elsewhere/samples_dropped_lag"] } == 0)
        }
    }

    @Test func aWorkerWithAnotherRolloutLengthIsRefusedNamingBothLengths() async throws {
        try await Fixture.with("admission-rollout") { f in
            let short = try ChildProcess(yendor: ["worker", "--config", f.config, "--id", "short", "--set", "env.rollout_length=8"] + f.endpoints)
            defer { short.kill() }
            let learnerSteps = f.configuration.env.rolloutLength
            let message = "rollout length differs (env.rollout_length): learner steps=\(learnerSteps), worker steps=8"
            #expect(await f.learner.waitForStandardError(containing: "refusing worker short: \(message)", timeout: 600), "\(f.learner.standardError.suffix(1500))")
            // The refused worker stops with the learner's reason and exit status 3.
            #expect(await short.waitForExit(timeout: 600) == 3, "\(short.standardError.suffix(1500))")
            #expect(short.standardError.contains("the learner refused this worker: \(message)"), "\(short.standardError.suffix(1500))")
            #expect(!f.learner.standardError.contains("worker short joined"))
            // The learner trains on with the worker that matches.
            #expect(await f.learner.waitForStandardError(containing: "worker good joined", timeout: 600))
            let updates = f.metric("learner/updates")
            #expect(await f.waitFor("learner/updates", atLeast: updates + 3), "\(f.learner.standardError.suffix(1500))")
            #expect(f.learner.isRunning)
        }
    }

    /// A refusal names the tasks when they differ: the layouts of staircase-lvl3 and its extended
    /// twin differ only in "actions=23 vs 28" (trial N).
    @Test func aRefusalOfAnotherLayoutNamesBothTasks() throws {
        let c = try InMemoryRoleTests.configuration()
        var other = c
        try TrainingConfiguration.table.apply(overrides: ["env.crop_size=7", "env.task=keyroom"], to: &other)
        let problem = try #require(c.admissionProblem(InMemoryRoleTests.hello(other, id: "w")))
        #expect(problem.hasPrefix("observation layout mismatch (learner crop=9, worker crop=7; learner task \(c.env.task), worker task keyroom)"), "\(problem)")
        // The same task: no word of it.
        var sameTask = c
        try TrainingConfiguration.table.apply(overrides: ["env.crop_size=7"], to: &sameTask)
        let same = try #require(c.admissionProblem(InMemoryRoleTests.hello(sameTask, id: "w")))
        #expect(same.hasPrefix("observation layout mismatch (learner crop=9, worker crop=7):") && !same.contains("learner task"), "\(same)")
    }

    /// docs/wire-protocol.md must be enough to write a worker: its complete Python worker (pyzmq +
    /// numpy, no Yendor code), run as it stands in the document, is admitted, has nothing dropped and
    /// is trained on until the learner's budget is reached.
    @Test func aWorkerWrittenFromTheWireProtocolDocumentIsAdmittedAndTrainedOn() async throws {
        let document = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/wire-protocol.md").standardized, encoding: .utf8)
        let section = try #require(document.range(of: "## A complete worker in Python"), "the document has no Python worker")
        let rest = document[section.upperBound...]
        let start = try #require(rest.range(of: "```python\n")), end = try #require(rest[start.upperBound...].range(of: "\n```"))
        let (dir, config) = try TinyRun.scratch("admission-python", checkpointInterval: 60)
        let script = dir.appendingPathComponent("worker.py")
        try String(rest[start.upperBound..<end.lowerBound]).write(to: script, atomically: true, encoding: .utf8)

        let run = dir.appendingPathComponent("run")
        let trajectories = ChildProcess.freePort(), weights = ChildProcess.freePort()
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "1500", "--run-dir", run.path,
                                                "--set", "transport.trajectories=tcp://127.0.0.1:\(trajectories)",
                                                "--set", "transport.weights=tcp://127.0.0.1:\(weights)"])
        defer { learner.kill() }
        #expect(await learner.waitForStandardError(containing: "Hello with trajectory: "), "\(learner.standardError.suffix(1500))")
        func expected(_ key: String) throws -> String {
            let line = try #require(learner.standardError.split(separator: "\n").first { $0.contains("Hello with \(key): ") })
            return String(line[line.range(of: "Hello with \(key): ")!.upperBound...])
        }
        let worker = try ChildProcess(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: [
            "python3", script.path, "--learner", "127.0.0.1", "--trajectories-port", "\(trajectories)", "--weights-port", "\(weights)",
            "--id", "py-doc", "--obs-layout", try expected("obs_layout"), "--model", try expected("model"),
            "--trajectory", try expected("trajectory")])
        defer { worker.kill() }
        #expect(await learner.waitForStandardError(containing: "worker py-doc joined", timeout: 600),
                "learner: \(learner.standardError.suffix(1500))\nworker: \(worker.standardError.suffix(1500))")
        // The learner reaches its budget on the Python worker's trajectories alone and tells it so.
        #expect(await learner.waitForExit(timeout: 300) == 0, "\(learner.standardError.suffix(1500))")
        #expect(await worker.waitForExit(timeout: 600) == 0, "worker: \(worker.standardError.suffix(1500))")
        // It answered the learner's "finished", which the learner says until every member has.
        #expect(learner.standardError.contains("worker py-doc left: finished"), "\(learner.standardError.suffix(1500))")
        let last = try #require(try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")).last)
        #expect((last["env_steps"] ?? 0) >= 1500, "\(last)")
        #expect(last["transport/frames_dropped"] == 0, "\(last)")
        #expect((last["rollout/episodes"] ?? 0) > 0, "\(last)")
    }
}
