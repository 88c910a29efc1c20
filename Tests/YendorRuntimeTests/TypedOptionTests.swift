import Foundation
import Testing
import YendorTestSupport

/// `--log-level`, `--env` and `--reward` are typed options, parsed once for every command that takes them: a
/// value they do not know is refused before anything starts, and the message lists what they take.
@Suite("Typed options")
struct TypedOptionTests {
    /// Runs `yendor` with `arguments`, expects a failing exit, and returns its stderr.
    static func refusal(_ arguments: [String]) async throws -> String {
        let process = try ChildProcess(yendor: arguments)
        defer { process.kill() }
        let status = await process.waitForExit(timeout: 600)
        #expect(status != 0 && status != nil, "yendor \(arguments) exited with \(String(describing: status))")
        return process.standardError
    }

    /// A NetHack library that is not where env.nle_dir says is refused before the run directory is
    /// made (before, the run wrote its configuration and a first checkpoint, then failed).
    @Test func trainOnNetHackWithAMissingLibraryIsRefusedBeforeItMakesARunDirectory() async throws {
        let run = Scratch.root.appendingPathComponent("no-nle-\(UUID().uuidString.prefix(8))")
        let message = try await Self.refusal(["train", "--env", "nle", "--steps", "1000", "--run-dir", run.path,
                                              "--set", "env.nle_dir=/nonexistent-nle"])
        #expect(message.contains("env.nle_dir") && message.contains("/nonexistent-nle/libnethack.so"), "\(message.suffix(1500))")
        #expect(!FileManager.default.fileExists(atPath: run.path), "a run directory was made")
    }

    /// YENDOR_NLE_DIR wins over .venv: its error names it (trial N: "run `make deps`", which would
    /// not have helped), and no run directory is made.
    @Test func aWrongNLEDirectoryInTheEnvironmentIsNamedWithTheFix() async throws {
        let run = Scratch.root.appendingPathComponent("bad-nle-dir-\(UUID().uuidString.prefix(8))")
        let process = try ChildProcess(yendor: ["train", "--env", "nle", "--steps", "100", "--run-dir", run.path],
                                       environment: ["YENDOR_NLE_DIR": "/nonexistent-nle-dir"])
        #expect(await process.waitForExit(timeout: 600) != 0)
        let message = process.standardError
        #expect(message.contains("YENDOR_NLE_DIR=/nonexistent-nle-dir") && message.contains("/nonexistent-nle-dir/libnethack.so does not exist")
                && message.contains("unset it") && !message.contains("make deps"), "\(message.suffix(1500))")
        #expect(!FileManager.default.fileExists(atPath: run.path), "a run directory was made")
    }

    /// NetHack is played live: recordings are Dungeon's.
    @Test func playOnNetHackRefusesRecordAndReplay() async throws {
        let message = try await Self.refusal(["play", "--env", "nle", "--record", "/tmp/never-written.json"])
        #expect(message.contains("--record and --replay are for --env dungeon"), "\(message.suffix(1500))")
    }

    @Test func playRefusesAMissingRecordingNamingItWithoutAFoundationTrace() async throws {
        let message = try await Self.refusal(["play", "--replay", "/nonexistent-recording.json"])
        #expect(message.contains("/nonexistent-recording.json: no such file, or not readable") && !message.contains("NSCocoaErrorDomain"),
                "\(message.suffix(1500))")
    }

    /// The random policy's success is measured for a task with a goal; one without says it has none
    /// (it printed "0/4 episodes succeeded" for `score`).
    @Test func benchEnvMeasuresSuccessOnlyForATaskWithAGoal() async throws {
        let process = try ChildProcess(yendor: ["bench", "env", "--tasks", "score,staircase", "--steps", "2000", "--vector", "4", "--success-episodes", "4"])
        defer { process.kill() }
        #expect(await process.waitForExit(timeout: 600) == 0, "\(process.standardError.suffix(1500))")
        let text = process.lines.joined(separator: "\n")
        #expect(text.contains("random policy: score has no goal to reach") && !text.contains(/score\s+random policy: \d+\/4/), "\(text)")
        #expect(text.contains(/staircase\s+random policy: \d+\/4 episodes succeeded/), "\(text)")
    }

    /// Options for another environment are refused, not ignored.
    @Test(arguments: [(["train", "--env-servers", "2"], "--env-servers is for --env gym:ENV_ID"),
                      (["bench", "env", "--task", "staircase"], "--task and --memory-games are for --env nle")])
    func anOptionForAnotherEnvironmentIsRefused(arguments: [String], message: String) async throws {
        let text = try await Self.refusal(arguments)
        #expect(text.contains(message), "\(text.suffix(1500))")
    }

    /// Worker processes on one machine: a thousand on two cores started hundreds before it fell over.
    @Test func trainRefusesMoreWorkerProcessesThanTheMachineCanRun() async throws {
        let message = try await Self.refusal(["train", "--workers", "1000", "--steps", "1000"])
        #expect(message.contains("--workers 1000: at most") && message.contains("yendor worker"), "\(message.suffix(1500))")
    }

    @Test(arguments: [["worker"], ["annotator"], ["annotator", "evaluate"]])
    func anUnknownLogLevelIsRefusedListingTheLevels(command: [String]) async throws {
        let message = try await Self.refusal(command + ["--log-level", "loud"])
        #expect(message.contains("'loud' is invalid for '--log-level"), "\(message.suffix(1500))")
        for level in ["trace", "debug", "info", "notice", "warning", "error", "critical"] {
            #expect(message.contains(level), "\(level) missing from: \(message.suffix(1500))")
        }
    }

    @Test(arguments: [["train"], ["worker"], ["bench", "env"], ["play"]])
    func anUnknownEnvironmentIsRefusedListingTheChoices(command: [String]) async throws {
        for value in ["nethack", "gym:"] {
            let message = try await Self.refusal(command + ["--env", value])
            #expect(message.contains("'\(value)' is invalid for '--env"), "\(message.suffix(1500))")
            for choice in ["dungeon", "nle", "gym:ENV_ID"] {
                #expect(message.contains(choice), "\(choice) missing from: \(message.suffix(1500))")
            }
        }
    }

    @Test(arguments: [["train"], ["learner"], ["bench", "train"]])
    func anUnknownRewardModelIsRefusedListingTheModels(command: [String]) async throws {
        let message = try await Self.refusal(command + ["--reward", "oni"])
        #expect(message.contains("'oni' is invalid for '--reward"), "\(message.suffix(1500))")
        for model in ["none", "retrieval", "classification", "ranking"] {
            #expect(message.contains(model), "\(model) missing from: \(message.suffix(1500))")
        }
    }

    @Test(arguments: [["worker"], ["learner"]])
    func aGymnasiumEnvironmentWithoutEnvServersIsRefusedSayingHowToServeIt(command: [String]) async throws {
        let message = try await Self.refusal(command + ["--env", "gym:MiniGrid-DoorKey-5x5-v0"])
        #expect(message.contains("--env gym:MiniGrid-DoorKey-5x5-v0: only `yendor train` starts env servers"), "\(message.suffix(1500))")
        #expect(message.contains("--env-server"))
    }

    @Test func playRefusesAGymnasiumEnvironmentSayingWhatItHosts() async throws {
        let message = try await Self.refusal(["play", "--env", "gym:MiniGrid-DoorKey-5x5-v0"])
        #expect(message.contains("--env gym:MiniGrid-DoorKey-5x5-v0: yendor play hosts dungeon and nle"), "\(message.suffix(1500))")
    }

    /// Counts and names the commands took without a word: `--workers -1` ran in process,
    /// `--env-servers 0` became 1, `bench env --steps 0` printed a rate, and `keys generate` wrote an
    /// absolute or empty NAME somewhere unexpected.
    @Test(arguments: [
        (["train", "--workers=-1"], "--workers must be 0 (in-process) or more"),
        (["train", "--env-servers", "0"], "--env-servers must be at least 1"),
        (["bench", "env", "--steps", "0"], "--steps must be at least 1"),
        (["bench", "env", "--vector", "0"], "--vector must be at least 1"),
        (["status", "learner", "--timeout", "0"], "--timeout must be in (0, 86400] seconds"),
        // Trial C7: these trapped, took all memory, waited for ever or retried an empty host for ever.
        (["health", "learner", "--timeout", "inf"], "--timeout must be in (0, 86400] seconds"),
        (["worker", "--learner", ""], "--learner is empty: give a host"),
        (["replay", "--learner", ""], "--learner is empty: give a host"),
        (["bench", "transport", "--sizes-kib", "0"], "--sizes-kib must list sizes in 1...1048576"),
        (["bench", "learner", "--train-batches", "9223372036854775807"], "--train-batches must be a comma-separated list of integers in 1...1048576"),
        (["bench", "learner", "--seconds", "nan"], "--seconds must be in (0, 3600]"),
        (["annotator", "evaluate", "--batch-size", "9223372036854775807"], "--batch-size must be in 1...4096"),
        (["keys", "generate", "--directory", "/tmp", "/tmp/k"], "must be a plain file name"),
        (["keys", "generate", "--directory", "/tmp", ""], "must be a plain file name"),
        // bench train's own runs: these were taken and ignored (trial I).
        (["bench", "train", "--steps", "1000"], "--steps: bench train runs each training for --bench-steps"),
        (["bench", "train", "--run-dir", "/tmp/never-made"], "--run-dir: bench train runs each training in a temporary directory"),
        (["bench", "annotator", "--latencies-ms", "100,x"], "--latencies-ms takes whole milliseconds, 0 or more, space- or comma-separated"),
    ])
    func outOfRangeCountsAndPathNamesAreRefusedNamingTheOption(_ arguments: [String], _ expected: String) async throws {
        let message = try await Self.refusal(arguments)
        #expect(message.contains(expected), "\(message.suffix(1500))")
    }

    /// Usage errors that exited 1, or were said only after minutes of work (bench train's first
    /// training run after its bare loops), or not at all (a standalone role on inproc://, which no
    /// other process reaches): each is refused before anything runs, exit status 64, naming its
    /// flag or key (trial C7).
    @Test(arguments: [
        (["bench", "train", "--bench-steps", "0"], "--bench-steps must be at least 1"),
        (["bench", "train", "--workers", "0"], "--workers must be in 1..."),
        (["bench", "annotator", "--batch-size", "0"], "--batch-size must be in 1...4096, got 0"),
        (["bench", "annotator", "--clients", "9223372036854775807"], "--clients must be in 1...1024"),
        (["play", "--task", "bogus"], "--task: unknown task 'bogus'"),
        (["play", "--env", "nle", "--task", "bogus"], "--task: unknown NLE task 'bogus'"),
        (["play", "--delay=-1"], "--delay must be 0 or more"),
        (["bench", "env", "--tasks", "score,bogus"], "--tasks: unknown task 'bogus'"),
        (["bench", "env", "--env", "nle", "--task", "bogus"], "--task: unknown NLE task 'bogus'"),
        (["learner", "--set", "transport.trajectories=inproc://x"], "transport.trajectories"),
        (["worker", "--set", "transport.weights=inproc://w"], "transport.weights"),
        (["replay", "--set", "transport.replay=inproc://r"], "transport.replay"),
    ])
    func usageErrorsAreRefusedBeforeAnythingRunsWithExitStatus64(_ arguments: [String], _ expected: String) async throws {
        // In a scratch directory: the roles' default run directories are relative.
        let process = try ChildProcess(yendor: arguments, directory: Scratch.root)
        defer { process.kill() }
        let status = await process.waitForExit(timeout: 600)
        #expect(status == 64, "yendor \(arguments) exited with \(String(describing: status)): \(process.standardError.suffix(1500))")
        #expect(process.standardError.contains(expected), "\(process.standardError.suffix(1500))")
        if expected.hasPrefix("transport.") {
            #expect(process.standardError.contains("reaches only this process"), "\(process.standardError.suffix(1500))")
        }
    }
}
