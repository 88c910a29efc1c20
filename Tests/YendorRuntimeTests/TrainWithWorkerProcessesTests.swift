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
        ChildProcess.processes { $0.parent == parent && $0.arguments.dropFirst().first == "worker" }
    }

    /// Every worker process contributes. Waits for events, not for a budget that one fast worker
    /// could use up before a slow one (on a loaded machine) has sent anything.
    @Test func trainWithWorkerProcessesTrainsWithEveryWorkerContributing() async throws {
        // The learner registers each worker under its own id, and each worker gets weights.
        let (train, run, children) = try await Self.trainWithJoinedWorkers("train-workers", workers: Self.workers, extra: Self.waitForEveryTrajectory)
        defer { Self.kill(train, children) }
        // The terminal's Ctrl-C reaches train alone (Foundation starts each child in a process group
        // of its own), which stops its workers before its learner.
        for pid in children { #expect(getpgid(pid) != getpgid(train.pid), "worker process \(pid)") }
        func log(_ i: Int) -> String { (try? String(contentsOf: run.appendingPathComponent("logs/worker-\(i).log"), encoding: .utf8)) ?? "" }
        func steps() -> Double { (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["env_steps"] ?? 0 }
        for i in 0..<Self.workers {
            #expect(await Poll.until(timeout: 600) { log(i).contains("received weights") }, "worker-\(i).log: \(log(i).suffix(1500))")
        }
        // health and status find the run's ipc endpoints in its config.yaml, given the run directory.
        let health = try ChildProcess(yendor: ["health", "learner", "--run-dir", run.path, "--timeout", "60"])
        #expect(await health.waitForExit(timeout: 600) == 0, "\(health.standardError.suffix(1000))")
        #expect(health.lines.contains { $0.contains("learner at ipc://") && $0.contains("is up") }, "\(health.lines)")
        let status = try ChildProcess(yendor: ["status", "learner", "--run-dir", run.path, "--once"])
        #expect(await status.waitForExit(timeout: 600) == 0, "\(status.standardError.suffix(1000))")
        #expect(status.lines.first?.hasPrefix("learner at ipc://") == true, "\(status.lines)")
        // With both running, training goes on for a while (about 30 trajectories).
        let start = steps()
        #expect(await Poll.until(timeout: 600) { steps() >= start + 2000 })
        await Self.stopCountingEveryTrajectory(train, run: run, log: log)
        // Stopped, the run is said down at once (its ipc endpoints were waited on for 30 s).
        let down = try ChildProcess(yendor: ["status", "learner", "--run-dir", run.path, "--once", "--timeout", "600"])
        #expect(await down.waitForExit(timeout: 600) == 1)
        #expect(down.standardError.contains("the run in \(run.path) is not running (pid \(train.pid) held it)"), "\(down.standardError)")
    }

    /// A learner silent past the workers' peer timeout (paused here; a process starved of CPU or
    /// swapping alike) loses none of the trajectories sent meanwhile: the workers renew only their
    /// Hello connection, and the trajectories wait on theirs. Renewing that one too made libzmq drop
    /// what it held, 4 trajectories per worker, while the Goodbye was still acknowledged (the suite
    /// under load: the learner's count 512 steps short).
    @Test func aLearnerSilentPastTheWorkersTimeoutLosesNoTrajectory() async throws {
        let (train, run, children) = try await Self.trainWithJoinedWorkers("train-workers-pause", workers: Self.workers, extra: Self.waitForEveryTrajectory)
        defer { train.signal(SIGCONT); Self.kill(train, children) }
        func log(_ i: Int) -> String { (try? String(contentsOf: run.appendingPathComponent("logs/worker-\(i).log"), encoding: .utf8)) ?? "" }
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: 0, of: train), "\(train.standardError.suffix(2000))")
        train.signal(SIGSTOP)
        for i in 0..<Self.workers {
            #expect(await Poll.until(timeout: 600) { log(i).contains("no word from the learner") }, "worker-\(i).log: \(log(i).suffix(1500))")
        }
        train.signal(SIGCONT)
        for i in 0..<Self.workers {
            #expect(await Poll.until(timeout: 600) { log(i).contains("learner is back") }, "worker-\(i).log: \(log(i).suffix(1500))")
        }
        await Self.stopCountingEveryTrajectory(train, run: run, log: log)
    }

    /// A stopping worker waits for the learner's answer as long as the learner takes a while: on a
    /// loaded machine a debug learner can take several seconds for a worker's queued trajectories,
    /// and the default 10 s would make the exact count below depend on the machine's speed.
    static let waitForEveryTrajectory = ["--set", "transport.leave_timeout_s=600"]

    /// SIGTERM to `train`, then: each worker said Goodbye behind its last trajectories and the
    /// learner answered once it had them all, and the learner took in exactly what the workers sent.
    static func stopCountingEveryTrajectory(_ train: ChildProcess, run: URL, log: (Int) -> String) async {
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 600) == 0, "train failed: \(train.standardError.suffix(2000))")
        var sentByAll = 0
        for i in 0..<Self.workers {
            let sent = log(i).firstMatch(of: /stopped after (\d+) trajectories/).flatMap { Int($0.1) } ?? 0
            #expect(sent > 0, "worker-\(i).log: \(log(i).suffix(1500))")
            sentByAll += sent
            // Stopped before the learner, each said Goodbye to a learner that still listened, behind
            // its last trajectories, and the learner answered once it had them all (before, the
            // learner went first and both were lost; then libzmq dropped one or two per worker
            // under backpressure as the connection closed).
            #expect(log(i).contains("goodbye=sent, acknowledged") && log(i).contains("unsent=0"),
                    "worker-\(i).log: \(log(i).suffix(1500)); the learner's log but its progress lines: \(Self.withoutProgress(train.standardError).suffix(40).joined(separator: "\n"))")
        }
        // Every trajectory a worker says left was taken in: the learner's count is theirs (tiny.yaml:
        // 4 envs × 16 steps a trajectory).
        let taken = train.standardError.firstMatch(of: /learner stopped \(shutdown\) at (\d+) env steps/).flatMap { Int($0.1) }
        let dropped = ((try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last ?? [:])
            .filter { $0.key.hasPrefix("transport/frames_dropped") || $0.key.hasPrefix("replay/refused") || $0.key == "learner/samples_dropped_lag" }
        let warnings = ([train.standardError] + (0..<Self.workers).map(log)).flatMap { $0.split(separator: "\n") }
            .filter { line in ["warning", "error", "notice", "timed out"].contains { line.contains($0) } }
        #expect(taken == sentByAll * 4 * 16, """
            workers sent \(sentByAll) trajectories; learner's drops: \(dropped.sorted { $0.key < $1.key }); \
            its warnings: \(warnings.suffix(20).joined(separator: "\n")); its log: \(train.standardError.suffix(1500))
            """)
    }

    /// A log's lines but the learner's progress lines (one a second, they hide the rest).
    static func withoutProgress(_ log: String) -> [Substring] {
        log.split(separator: "\n").filter { !($0.contains(" SPS ") && $0.contains("ETA")) }
    }

    /// `yendor train --workers N` on the tiny configuration once every worker has joined, and its
    /// worker processes.
    static func trainWithJoinedWorkers(_ name: String, workers: Int, extra: [String] = []) async throws -> (train: ChildProcess, run: URL, children: [Int32]) {
        let (dir, config) = try TinyRun.scratch(name, checkpointInterval: 60)
        let run = dir.appendingPathComponent("run")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--workers", "\(workers)", "--steps", "100000000",
                                              "--run-dir", run.path] + extra)
        for i in 0..<workers {
            #expect(await train.waitForStandardError(containing: "worker worker-\(i) joined", timeout: 600),
                    "\(train.standardError.suffix(2000))")
        }
        let children = workerProcesses(of: train.pid)
        #expect(children.count == workers, "worker processes of \(train.pid): \(children)")
        return (train, run, children)
    }

    /// Kills `train` and whatever of its worker processes still runs (a failed test leaves none).
    static func kill(_ train: ChildProcess, _ children: [Int32]) {
        train.kill()
        for pid in children where ChildProcess.isAlive(pid) { Foundation.kill(pid, SIGKILL) }
    }

    /// A worker process that dies (SIGKILL: the OOM killer, a crash) is started again and rejoins;
    /// before, the learner waited at 0 steps/s for ever with nothing in its log but the timeout.
    @Test func aWorkerProcessThatDiesIsStartedAgainAndTrainingGoesOn() async throws {
        let (train, run, children) = try await Self.trainWithJoinedWorkers("train-workers-restart", workers: 1)
        defer { Self.kill(train, children + Self.workerProcesses(of: train.pid)) }
        Foundation.kill(children[0], SIGKILL)
        #expect(await train.waitForStandardError(containing: "worker process worker-0 was killed by signal 9; starting it again", timeout: 600),
                "\(train.standardError.suffix(2000))")
        // It could not say Goodbye; train says it for it, so the learner lets go of the id at once
        // (it warned "timed out" a peer timeout later, and the new process waited for the id).
        #expect(await train.waitForStandardError(containing: "worker worker-0 left: its process was killed by signal 9; train starts it again", timeout: 600),
                "\(train.standardError.suffix(2000))")
        var restarted: [Int32] = []
        #expect(await Poll.until(timeout: 600) {
            restarted = Self.workerProcesses(of: train.pid).filter { $0 != children[0] }
            return !restarted.isEmpty
        })
        func steps() -> Double { (try? MetricsLog.read(url: run.appendingPathComponent("metrics.jsonl")))?.last?["env_steps"] ?? 0 }
        let atRestart = steps()
        #expect(await Poll.until(timeout: 600) { steps() >= atRestart + 2000 }, "\(train.standardError.suffix(2000))")
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 60) == 0, "train failed: \(train.standardError.suffix(2000))")
        #expect(restarted.allSatisfy { !ChildProcess.isAlive($0) })
        #expect(!train.standardError.contains("worker worker-0 timed out"), "\(train.standardError.suffix(2000))")
        #expect(!train.standardError.contains("held by a live worker"), "the new process was refused: \(train.standardError.suffix(2000))")
    }

    @Test func sigtermMidRunStopsTheLearnerAndEveryWorkerProcess() async throws {
        let (train, run, children) = try await Self.trainWithJoinedWorkers("train-workers-stop", workers: Self.workers)
        defer { Self.kill(train, children) }
        // Once it has taken steps, the run has something to keep: its final checkpoint (a run that
        // took none writes none).
        #expect(await TrainingEndToEndTests.waitForSteps(run, above: 0, of: train), "\(train.standardError.suffix(2000))")
        train.signal(SIGTERM)
        let status = await train.waitForExit(timeout: 90)
        #expect(status == 0, "train after SIGTERM: \(train.standardError.suffix(2000))")
        let orphans = children.filter(ChildProcess.isAlive)
        #expect(orphans.isEmpty, "worker processes still running after train exited: \(orphans)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/latest").path))
        // The learner's ipc socket files go with it (they stayed, naming nothing).
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("sockets").path)) ?? []
        #expect(!sockets.contains("trajectories") && !sockets.contains("weights"), "\(sockets)")
    }

    /// A run directory so deep that its sockets' paths would not fit a Unix socket address (a
    /// cluster's scratch path, say): they go to a short directory named after it, and status finds
    /// them. Train failed with "connect(ipc://…): errno 36 (File name too long)".
    @Test func aRunDirectoryTooDeepForUnixSocketsKeepsItsSocketsInAShortDirectory() async throws {
        let (dir, config) = try TinyRun.scratch("train-workers-deep", checkpointInterval: 60)
        let run = dir.appendingPathComponent(String(repeating: "d", count: 60)).appendingPathComponent(String(repeating: "e", count: 60))
        let sockets = RunDirectory.sockets(ofRunAt: run.standardizedFileURL)
        #expect(sockets.path.hasPrefix("/tmp/yendor-sockets-"), "\(sockets.path)")
        let train = try ChildProcess(yendor: ["train", "--config", config, "--workers", "1", "--steps", "100000000", "--run-dir", run.path])
        defer { Self.kill(train, Self.workerProcesses(of: train.pid)) }
        #expect(await train.waitForStandardError(containing: "worker worker-0 joined", timeout: 600), "\(train.standardError.suffix(2000))")
        #expect(train.standardError.contains("sockets in \(sockets.path): their paths in the run directory would be longer than a Unix socket holds"),
                "\(train.standardError.suffix(2000))")
        let status = try ChildProcess(yendor: ["status", "learner", "--run-dir", run.path, "--once"])
        #expect(await status.waitForExit(timeout: 600) == 0, "\(status.standardError.suffix(1000))")
        #expect(status.lines.first?.hasPrefix("learner at ipc://\(sockets.path)/weights") == true, "\(status.lines)")
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 60) == 0, "train failed: \(train.standardError.suffix(2000))")
        // Its sockets, and then their directory, go with it.
        #expect(!FileManager.default.fileExists(atPath: sockets.path), "\((try? FileManager.default.contentsOfDirectory(atPath: sockets.path)) ?? [])")
    }

    @Test func workerProcessesStopByThemselvesWhenTrainIsKilled() async throws {
        let (train, run, children) = try await Self.trainWithJoinedWorkers("train-workers-killed", workers: 1)
        defer { Self.kill(train, children) }
        // SIGKILL: train cannot stop its workers; they used to retry the learner for ever.
        train.kill()
        _ = await train.waitForExit(timeout: 60)
        #expect(await Poll.until(timeout: 600) { !children.contains(where: ChildProcess.isAlive) }, "still running: \(children)")
        let log = (try? String(contentsOf: run.appendingPathComponent("logs/worker-0.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("that started this worker (pid \(train.pid)) is gone; stopping"), "\(log.suffix(1500))")
        // Its learner went with train: the worker neither waits for it to take its last
        // trajectories nor tries to say Goodbye (that cost it 4.5 s more to stop).
        #expect(log.contains("goodbye=not sent (the learner's process is gone)"), "\(log.suffix(1500))")
    }
    /// A program started through `$PATH` starts its worker processes: it looked for itself at its
    /// first argument relative to the working directory and failed with "The file doesn't exist".
    @Test func trainFoundThroughPATHStartsItsWorkerProcesses() async throws {
        let (dir, config) = try TinyRun.scratch("train-workers-path", checkpointInterval: 60)
        let binary = ChildProcess.yendorBinary.resolvingSymlinksInPath()
        let path = binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let train = try ChildProcess(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                     arguments: [binary.lastPathComponent, "train", "--config", config, "--workers", "1", "--steps", "300", "--run-dir", "run"],
                                     environment: ["PATH": path], directory: dir)
        defer { train.kill() }
        #expect(await train.waitForExit(timeout: 600) == 0, "\(train.standardError.suffix(2000))")
        #expect(train.standardError.contains("worker worker-0 joined"), "\(train.standardError.suffix(2000))")
    }
    /// A worker process stopped by hand (SIGTERM: it exits cleanly) while the run goes on is
    /// started again; it was taken as finished and the run went on with one worker fewer.
    @Test func aWorkerProcessStoppedByHandWhileTheRunGoesOnIsStartedAgain() async throws {
        let (train, _, children) = try await Self.trainWithJoinedWorkers("train-workers-sigterm", workers: 1)
        defer { Self.kill(train, children) }
        let first = try #require(children.first)
        Foundation.kill(first, SIGTERM)
        #expect(await train.waitForStandardError(containing: "worker process worker-0 exited with status 0; starting it again", timeout: 600),
                "\(train.standardError.suffix(2000))")
        #expect(await Poll.until { train.standardError.components(separatedBy: "worker worker-0 joined").count - 1 >= 2 },
                "\(train.standardError.suffix(2000))")
        let again = Self.workerProcesses(of: train.pid)
        #expect(again.count == 1 && again.first != first, "\(again)")
        train.signal(SIGTERM)
        #expect(await train.waitForExit(timeout: 60) == 0, "\(train.standardError.suffix(2000))")
    }
}
