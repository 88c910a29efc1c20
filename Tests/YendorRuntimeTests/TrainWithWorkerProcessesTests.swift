import Foundation
import Testing
import YendorTestSupport
@testable import YendorRuntime

/// `yendor train --workers N`: the learner in the `train` process and N `yendor worker` child
/// processes over ipc, each logging to the run directory's logs/worker-I.log.
@Suite("yendor train --workers", .serialized)
struct TrainWithWorkerProcessesTests {
    static let workers = 2

    /// Process ids of the `yendor worker` children of `parent`, from /proc.
    static func workerProcesses(of parent: Int32) -> [Int32] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            // stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return fields.count > 1 && Int32(fields[1]) == parent && arguments.dropFirst().first == "worker"
        }
    }

    /// A process that has exited (gone, or a zombie waiting to be reaped) is not alive.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    @Test func trainWithWorkerProcessesReachesItsBudgetWithEveryWorkerContributing() async throws {
        let (dir, config) = try TinyRun.scratch("train-workers", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--workers", "\(Self.workers)", "--steps", "1500",
                                              "--run-dir", run.path])
        defer { train.kill() }
        let status = await train.waitForExit(timeout: 240)
        #expect(status == 0, "train failed: \(train.standardError.suffix(2000))")
        let metrics = try MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl"))
        #expect((metrics.last?["env_steps"] ?? 0) >= 1500)
        for i in 0..<Self.workers {
            // The learner registered each worker under its own id …
            #expect(train.standardError.contains("worker worker-\(i) joined"), "\(train.standardError.suffix(2000))")
            // … and each worker's log in the run directory shows it got weights and sent trajectories.
            let log = (try? String(contentsOf: run.appendingPathComponent("logs/worker-\(i).log"), encoding: .utf8)) ?? ""
            #expect(log.contains("received weights"), "worker-\(i).log: \(log.suffix(1500))")
            let sent = log.firstMatch(of: /stopped after (\d+) trajectories/).flatMap { Int($0.1) } ?? 0
            #expect(sent > 0, "worker-\(i).log: \(log.suffix(1500))")
        }
    }

    @Test func sigtermMidRunStopsTheLearnerAndEveryWorkerProcess() async throws {
        let (dir, config) = try TinyRun.scratch("train-workers-stop", checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--workers", "\(Self.workers)", "--steps", "100000000",
                                              "--run-dir", run.path])
        var children: [Int32] = []
        defer {
            train.kill()
            for pid in children where Self.isAlive(pid) { kill(pid, SIGKILL) }
        }
        for i in 0..<Self.workers {
            #expect(await train.waitForStandardError(containing: "worker worker-\(i) joined", timeout: 120),
                    "\(train.standardError.suffix(2000))")
        }
        children = Self.workerProcesses(of: train.pid)
        #expect(children.count == Self.workers, "worker processes of \(train.pid): \(children)")

        train.signal(SIGTERM)
        let status = await train.waitForExit(timeout: 90)
        #expect(status == 0, "train after SIGTERM: \(train.standardError.suffix(2000))")
        let orphans = children.filter(Self.isAlive)
        #expect(orphans.isEmpty, "worker processes still running after train exited: \(orphans)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/latest").path))
    }
}
