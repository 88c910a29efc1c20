import Foundation
import Dungeon
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// A remote `yendor annotator` (lexicon labeler, the stand-in for an LLM) as a real process over
/// tcp, reached by `yendor learner` and by `yendor train --set reward.annotator=…` (issue 15), for
/// a task with a built-in goal (staircase: `stairs`) and one with a free-text goal (keyroom).
@Suite("Remote annotator end to end", .serialized)
struct RemoteAnnotatorEndToEndTests {
    /// A running `yendor annotator` on fresh loopback ports and the settings that point a learner at it.
    struct Annotator {
        let process: ChildProcess
        let requests: String
        let labels: String
        var learnerSettings: [String] {
            ["--set", "reward.model=retrieval", "--set", "reward.annotator=127.0.0.1",
             "--set", "transport.annotator_requests=\(requests)", "--set", "transport.annotator_labels=\(labels)"]
        }

        init(dir: URL) async throws {
            requests = "tcp://127.0.0.1:\(ChildProcess.freePort())"
            labels = "tcp://127.0.0.1:\(ChildProcess.freePort())"
            process = try ChildProcess(yendor: ["annotator", "--requests", requests, "--labels", labels,
                                                "--store", dir.appendingPathComponent("labels.sqlite").path, "--status-interval-s", "0"])
            let ready = await process.waitForLine(timeout: 600) { $0.hasPrefix("annotator ready") }
            #expect(ready != nil, "annotator did not start: \(process.standardError.suffix(1500))")
        }
    }

    static func labelsReceived(_ run: URL) -> Double {
        (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["rewards/labels_received"] ?? 0
    }

    static func goalText(_ task: String) throws -> String { try TaskRegistry.task(named: task).annotatorGoal.key }

    @Test(arguments: ["staircase", "keyroom"])
    func labelsFromARemoteAnnotatorReachALearnerProcess(task: String) async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("remote-learner-\(task)")
        let annotator = try await Annotator(dir: dir)
        let run = dir.appendingPathComponent("run")
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--task", task, "--steps", "100000000",
                                                "--run-dir", run.path] + endpoints + annotator.learnerSettings)
        let worker = try ChildProcess(yendor: ["worker", "--config", config, "--task", task, "--id", "w"] + endpoints)
        defer { annotator.process.kill(); learner.kill(); worker.kill() }
        #expect(await learner.waitForStandardError(containing: "(goal: \(try Self.goalText(task)))", timeout: 600),
                "\(learner.standardError.suffix(1500))")
        #expect(await Poll.until { Self.labelsReceived(run) > 0 },
                "labels for \(task) arrive: \(learner.standardError.suffix(1500)) \(annotator.process.standardError.suffix(600))")
        // And the learner reports it reachable (a loaded machine may leave it unheard for a while: waited for).
        #expect(await Poll.until { (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["annotator/reachable"] == 1 })
    }

    @Test(arguments: ["staircase", "keyroom"])
    func labelsFromARemoteAnnotatorReachYendorTrain(task: String) async throws {
        let (dir, config) = try TinyRun.scratch("remote-train-\(task)", checkpointInterval: 60)
        let annotator = try await Annotator(dir: dir)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--task", task, "--steps", "100000000",
                                              "--run-dir", run.path] + annotator.learnerSettings)
        defer { annotator.process.kill(); train.kill() }
        #expect(await train.waitForStandardError(containing: "asking the annotator at \(annotator.requests)", timeout: 600),
                "the learner of `yendor train` asks the configured annotator, not an inproc:// one: \(train.standardError.suffix(1500))")
        #expect(await Poll.until { Self.labelsReceived(run) > 0 },
                "labels for \(task) arrive: \(train.standardError.suffix(1500)) \(annotator.process.standardError.suffix(600))")
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(1500))")
    }

    @Test func aLearnerWhoseAnnotatorNeverAnswersSaysSoInItsLogAndStatus() async throws {
        let (dir, config, endpoints) = try TrainingEndToEndTests.scratch("silent-annotator")
        // Nothing listens on these ports.
        let requests = "tcp://127.0.0.1:\(ChildProcess.freePort())", labels = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--steps", "100000000",
                                                "--run-dir", dir.appendingPathComponent("run").path,
                                                "--set", "reward.model=retrieval", "--set", "reward.annotator=127.0.0.1",
                                                "--set", "transport.annotator_requests=\(requests)",
                                                "--set", "transport.annotator_labels=\(labels)"] + endpoints)
        defer { learner.kill() }
        #expect(await learner.waitForStandardError(containing: "annotator unreachable at \(requests)", timeout: 600),
                "\(learner.standardError.suffix(1500))")
        let weights = endpoints[3].replacingOccurrences(of: "transport.weights=", with: "")
        let status = try ChildProcess(yendor: ["status", "learner", "--endpoint", weights, "--once", "--json"])
        #expect(await status.waitForExit(timeout: 600) == 0, "\(status.standardError)")
        let line = try #require(status.lines.first { $0.hasPrefix("{") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let values = try #require(json["values"] as? [String: Double])
        #expect(values["annotator/reachable"] == 0, "\(values)")
        #expect((values["annotator/last_heard_s"] ?? 0) >= 5, "silent for at least the timeout: \(values)")
        let table = try ChildProcess(yendor: ["status", "learner", "--endpoint", weights, "--once"])
        #expect(await table.waitForExit(timeout: 600) == 0)
        #expect(table.lines.contains { $0.hasPrefix("annotator: unreachable (no reply for ") }, "\(table.lines)")
    }
}
