import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

@Suite("yendor status", .serialized)
struct StatusCommandTests {
    @Test func statusOfALiveLearnerShowsBothWorkersAndItsFigures() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("status")
        let run = dir.appendingPathComponent("run")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", run.path] + endpoints)
        let a = try ChildProcess(yendor: ["worker", "--config", config, "--id", "status-a"] + endpoints)
        let b = try ChildProcess(yendor: ["worker", "--config", config, "--id", "status-b"] + endpoints)
        defer { learner.kill(); a.kill(); b.kill() }
        for id in ["status-a", "status-b"] {
            #expect(await learner.waitForStandardError(containing: "worker \(id) joined", timeout: 600), "\(learner.standardError.suffix(1500))")
        }
        let weights = endpoints[3].replacingOccurrences(of: "transport.weights=", with: "")
        // Until both workers have sent a trajectory and the learner has trained on one, a status may
        // list them with none yet, or show no env steps: ask again.
        var json: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            let status = try ChildProcess(yendor: ["status", "learner", "--endpoint", weights, "--once", "--json"])
            #expect(await status.waitForExit(timeout: 600) == 0, "\(status.standardError)")
            let line = try #require(status.lines.first { $0.hasPrefix("{") })
            #expect(!line.contains("\\/"), "slashes escaped: \(line.prefix(200))")
            json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let values = json["values"] as? [String: Double] ?? [:]
            // Workers send no heartbeats: the policy version a worker acts with comes from its
            // trajectories (it stayed 0 before), once the learner has published an update.
            if (values["worker/status-a/trajectories"] ?? 0) > 0 && (values["worker/status-b/trajectories"] ?? 0) > 0
                && (values["env_steps"] ?? 0) > 0 && (values["worker/status-a/policy_version"] ?? 0) > 0
                && values["rollout/env_step_cpu_us"] != nil { break }
        }
        let values = try #require(json["values"] as? [String: Double])
        #expect(json["role"] as? String == "learner")
        #expect(values["membership/workers"] == 2)
        #expect((values["worker/status-a/trajectories"] ?? 0) > 0 && (values["worker/status-b/trajectories"] ?? 0) > 0, "\(values)")
        #expect(values["worker/status-a/envs"] == 4)
        // Per worker, the samples of its trajectories dropped as too stale (trial S: small workers'
        // trajectories arrived staler and were nearly all dropped, with nothing to show it).
        #expect(values["worker/status-a/samples_dropped_lag"] != nil && values["learner/samples_dropped_lag"] != nil, "\(values)")
        #expect((values["worker/status-a/policy_version"] ?? 0) > 0, "\(values)")
        #expect((values["env_steps"] ?? 0) > 0)
        // What the workers' games cost per step, from the CPU time their Hellos report.
        #expect((values["rollout/env_step_cpu_us"] ?? 0) > 0, "\(values)")
        let table = try ChildProcess(yendor: ["status", "learner", "--endpoint", weights, "--once"])
        #expect(await table.waitForExit(timeout: 600) == 0)
        let text = table.lines.joined(separator: "\n")
        #expect(text.contains("workers: 2") && text.contains("status-a") && text.contains("status-b"), "\(text)")
        #expect(text.contains("samples too stale") && text.contains("too stale  last heard"), "\(text)")
        #expect(text.contains("SPS"))
        // A success rate reads as the progress line's does, a percentage.
        if values["rollout/success_rate"] != nil { #expect(text.contains(/success \d+\.\d%/), "\(text)") }
    }

    /// A learner whose checkpoints fail (its run directory on a disk that filled up) says so in
    /// the status table, not only in --json and its log (trial Y).
    @Test(.enabled(if: SmallDisk.available, "needs root (a tmpfs)"))
    func statusOfALearnerWhoseCheckpointsFailSaysSo() async throws {
        let (_, config, endpoints) = try TrainingEndToEndTests.scratch("status-full-disk")
        let disk = try SmallDisk(size: "16m")
        defer { disk.unmount() }
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000", "--run-dir", disk.url.appendingPathComponent("run").path,
                                                "--set", "run.checkpoint_interval=0.5"] + endpoints)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--id", "full-disk"] + endpoints)
        defer { learner.kill(); worker.kill() }
        #expect(await learner.waitForStandardError(containing: "checkpoint written", timeout: 600), "\(learner.standardError.suffix(1500))")
        try disk.fill()
        // The next checkpoint fails; the status says so once its next Stats message comes.
        let weights = endpoints[3].replacingOccurrences(of: "transport.weights=", with: "")
        var text = ""
        #expect(await Poll.until(timeout: 600) {
            guard let status = try? ChildProcess(yendor: ["status", "learner", "--endpoint", weights, "--once"]) else { return false }
            _ = await status.waitForExit(timeout: 600)
            text = status.lines.joined(separator: "\n")
            return text.contains("failed: checkpoint failures")
        }, "\(text)\n\(learner.standardError.suffix(1500))")
    }

    /// A learner that is up but sends its status less often than the probe waits is said to be up,
    /// with how often it sends one; status said "no status from the learner", as for one that is down.
    @Test func statusOfALearnerThatSendsNoStatusInTimeSaysItIsUpAndHowOftenItSendsOne() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("status-slow")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path,
                                                "--set", "run.log_interval=600"] + endpoints)
        defer { learner.kill() }
        #expect(await learner.waitForStandardError(containing: "learner listening"), "\(learner.standardError.suffix(1500))")
        let weights = endpoints[3].replacingOccurrences(of: "transport.weights=", with: "")
        // Heartbeats come every second; its first status, only after 600 s.
        let status = try ChildProcess(yendor: ["status", "learner", "--endpoint", weights, "--once", "--timeout", "20"])
        #expect(await status.waitForExit(timeout: 600) == 1)
        #expect(status.standardError.contains("the learner at \(weights) is up (its heartbeats came) but sent no status within 20.0 s: it sends one with each metrics record (run.log_interval); give a longer --timeout"),
                "\(status.standardError)")
    }

    /// Watching (`--watch`, or a terminal), a learner that falls silent is said to be so below its
    /// last figures, heard again when it comes back, and said to have stopped when it stays silent
    /// past --timeout: the last table stayed on the screen as if current, and at the deadline
    /// status said the learner was "up" (trial W). The table shows the in-process labeler, the
    /// mean episode length and the membership counts.
    @Test func aWatchedLearnerThatFallsSilentIsSaidToBeSoHeardAgainAndThenToHaveStopped() async throws {
        let (dir, config) = try TinyRun.scratch("status-silent", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "100000000", "--run-dir", run.path])
        defer { train.signal(SIGCONT); train.kill() }
        #expect(await train.waitForStandardError(containing: "run directory", timeout: 600), "\(train.standardError.suffix(1500))")
        // The deadline counts from the last status (every 0.5 s here), so only a stop reaches it.
        let watch = try ChildProcess(yendor: ["status", "learner", "--run-dir", run.path, "--watch", "--timeout", "45"])
        defer { watch.kill() }
        #expect(await watch.waitForLine { $0.hasPrefix("  worker-local ") } != nil, "\(watch.standardError)")
        let table = watch.lines
        #expect(table.contains("annotator in this process:") && table.contains { $0.hasPrefix("workers: 1   joins 1   left 0   timed out 0") }
                && table.contains { $0.hasPrefix("episodes ") && $0.contains("mean length ") }, "\(table)")
        func said(after count: Int, _ predicate: @escaping (String) -> Bool) async -> String? {
            guard await Poll.until({ watch.lines.dropFirst(count).contains(where: predicate) || !watch.isRunning }) else { return nil }
            return watch.lines.dropFirst(count).first(where: predicate)
        }
        train.signal(SIGSTOP)
        let stopped = watch.lines.count
        let silent = await said(after: stopped) { $0.hasPrefix("no word from the learner for ") }
        #expect(silent?.hasSuffix("stopped, hung or out of reach? (the figures above are its last)") == true, "\(watch.lines.suffix(20))")
        train.signal(SIGCONT)
        let resumed = watch.lines.count
        #expect(await said(after: resumed) { $0 == "(heard from the learner again)" } != nil, "\(watch.lines.suffix(20))")
        train.signal(SIGSTOP)
        #expect(await watch.waitForExit(timeout: 600) == 1)
        #expect(watch.standardError.contains("has sent nothing for") && watch.standardError.contains("it has stopped, hung or gone out of reach"),
                "\(watch.standardError)")
        #expect(!watch.standardError.contains("is up"), "\(watch.standardError)")
        train.signal(SIGCONT)
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 60) == 0)
    }

    /// A one-process `yendor train` binds none of the configured sockets: status and health given
    /// its run directory ask its learner at the run directory's status socket (not the default
    /// ports, where another run may answer), and say its labeler has no socket of its own.
    @Test(arguments: [["status", "learner", "--once", "--json"], ["health", "learner"]])
    func aProbeOfAOneProcessTrainAsksItsStatusSocket(probe: [String]) async throws {
        let (dir, config) = try TinyRun.scratch("status-in-process", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let socket = run.appendingPathComponent("sockets/status").path
        let train = try ChildProcess(yendor: ["train", "--config", config, "--steps", "100000000", "--run-dir", run.path])
        defer { train.kill() }
        #expect(await train.waitForStandardError(containing: "run directory", timeout: 600), "\(train.standardError.suffix(1500))")
        // Waits for the first Stats (status) or heartbeat (health), however late the run binds.
        let live = try ChildProcess(yendor: probe + ["--run-dir", run.path, "--timeout", "600"])
        #expect(await live.waitForExit(timeout: 600) == 0, "\(live.standardError)")
        if probe[0] == "status" {
            let line = try #require(live.lines.first { $0.hasPrefix("{") }, "\(live.lines)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(json["role"] as? String == "learner")
            #expect((json["values"] as? [String: Double])?["run/total_steps"] == 100_000_000, "\(line.prefix(300))")
        } else {
            #expect(live.lines.contains { $0.contains("learner at ipc://\(socket) is up") }, "\(live.lines)")
        }
        let labeler = try ChildProcess(yendor: [probe[0], "annotator", "--run-dir", run.path])
        #expect(await labeler.waitForExit(timeout: 600) == 64)
        #expect(labeler.standardError.contains("is a one-process `yendor train` (pid \(train.pid)) whose labeler runs in its learner"), "\(labeler.standardError)")
        // Once that run has ended it is down (exit 1), said so, and its socket file is gone. An
        // --endpoint given is asked, as for any run.
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 60) == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("sockets").path), "the emptied sockets/ is gone too")
        let down = try ChildProcess(yendor: probe + ["--run-dir", run.path])
        #expect(await down.waitForExit(timeout: 600) == 1)
        #expect(down.standardError.contains("the one-process run in \(run.path) is not running (pid \(train.pid) held it)"), "\(down.standardError)")
        let after = try ChildProcess(yendor: probe + ["--run-dir", run.path, "--timeout", "0.2",
                                                      "--endpoint", "tcp://127.0.0.1:\(ChildProcess.freePort())"])
        #expect(await after.waitForExit(timeout: 600) == 1)
        #expect(!after.standardError.contains("one-process"), "\(after.standardError)")
    }
}
