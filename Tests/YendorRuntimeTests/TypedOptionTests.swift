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
}
