import Foundation
import Testing
import YendorTestSupport
import YendorRuntime

/// cluster/local/start.sh and stop.sh: a learner and workers as separate processes on this machine.
extension ClusterSuite {
@Suite("cluster/local scripts")
struct LocalClusterTests {
    static func envSteps(_ run: URL) -> Double {
        (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["env_steps"] ?? 0
    }

    /// start.sh uses ports P..P+3.
    static func portBase() -> Int { ChildProcess.freePortRange(count: 4) }

    @Test func startRunsLearnerAndWorkersToTheBudgetWithALogPerRole() async throws {
        let (dir, config) = try ClusterFixtures.scratch("local-budget")
        let run = dir.appendingPathComponent("run")
        let result = try await ClusterFixtures.script("cluster/local/start.sh",
            ["--run-dir", run.path, "--workers", "2", "--steps", "800", "--config", config, "--port-base", "\(Self.portBase())"], timeout: 300)
        _ = try await ClusterFixtures.script("cluster/local/stop.sh", [run.path], timeout: 90)  // in case the first was killed
        #expect(result.status == 0, "\(result.output.suffix(3000))")
        #expect(Self.envSteps(run) >= 800)
        for role in ["learner", "worker-1", "worker-2"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("logs/\(role).log").path), "no log for \(role)")
        }
        let learnerLog = try String(contentsOf: run.appendingPathComponent("logs/learner.log"), encoding: .utf8)
        #expect(learnerLog.contains("worker local-1 joined") && learnerLog.contains("worker local-2 joined"))
    }

    /// With --annotator the learner asks that annotator for its labels (it labeled in process before,
    /// and the annotator got none), and arguments after -- no longer reach the annotator, which has
    /// no --set (it exited at once).
    @Test func startWithAnAnnotatorSendsTheLearnersLabelRequestsToIt() async throws {
        let (dir, config) = try ClusterFixtures.scratch("local-annotator")
        let run = dir.appendingPathComponent("run")
        let result = try await ClusterFixtures.script("cluster/local/start.sh",
            ["--run-dir", run.path, "--workers", "1", "--steps", "3000", "--config", config, "--port-base", "\(Self.portBase())",
             "--annotator", "--", "--set", "transport.heartbeat_interval=0.25"], timeout: 300)
        _ = try await ClusterFixtures.script("cluster/local/stop.sh", [run.path], timeout: 90)
        #expect(result.status == 0, "\(result.output.suffix(3000))")
        let learnerLog = try String(contentsOf: run.appendingPathComponent("logs/learner.log"), encoding: .utf8)
        let annotatorLog = try String(contentsOf: run.appendingPathComponent("logs/annotator.log"), encoding: .utf8)
        #expect(!learnerLog.contains("annotator in this process"), "\(learnerLog.prefix(3000))")
        let received = (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["rewards/labels_received"] ?? 0
        #expect(received > 0, "learner: \(learnerLog.suffix(1500)) annotator: \(annotatorLog.suffix(1500))")
    }

    @Test func stopEndsADetachedRunWithACheckpoint() async throws {
        let (dir, config) = try ClusterFixtures.scratch("local-stop")
        let run = dir.appendingPathComponent("run")
        let base = Self.portBase()
        let start = try await ClusterFixtures.script("cluster/local/start.sh",
            ["--run-dir", run.path, "--workers", "1", "--config", config, "--port-base", "\(base)", "--detach"], timeout: 600)
        #expect(start.status == 0, "\(start.output.suffix(3000))")
        let pids = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("pids").path)
            .compactMap { Int32((try? String(contentsOf: run.appendingPathComponent("pids/\($0)"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") }
        #expect(pids.count == 2)
        let deadline = Date().addingTimeInterval(90)
        while Self.envSteps(run) < 200 && Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        // A second start on the running directory, or on its ports from another directory, is
        // refused; it said "running" before, emptied the logs and overwrote the pid files, and
        // stop.sh then stopped nothing.
        let log = try String(contentsOf: run.appendingPathComponent("logs/learner.log"), encoding: .utf8)
        let again = try await ClusterFixtures.script("cluster/local/start.sh",
            ["--run-dir", run.path, "--workers", "1", "--config", config, "--port-base", "\(Self.portBase())", "--detach"], timeout: 600)
        #expect(again.status != 0 && again.output.contains("is running already"), "\(again.output.suffix(3000))")
        #expect(try String(contentsOf: run.appendingPathComponent("logs/learner.log"), encoding: .utf8).hasPrefix(log), "the log is kept")
        let elsewhere = try await ClusterFixtures.script("cluster/local/start.sh",
            ["--run-dir", dir.appendingPathComponent("other").path, "--workers", "1", "--config", config, "--port-base", "\(base)", "--detach"], timeout: 600)
        #expect(elsewhere.status != 0 && elsewhere.output.contains("a learner already answers"), "\(elsewhere.output.suffix(3000))")
        let stop = try await ClusterFixtures.script("cluster/local/stop.sh", [run.path], timeout: 90)
        #expect(stop.status == 0)
        #expect(Self.envSteps(run) >= 200, "training progressed while detached")
        for pid in pids {
            #expect(!ChildProcess.isAlive(pid), "process \(pid) still running after stop.sh")
            if ChildProcess.isAlive(pid) { kill(pid, SIGKILL) }
        }
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/latest").path), "SIGTERM made the learner checkpoint")
    }
}
}
