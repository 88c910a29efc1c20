import Foundation
import YendorSupport

/// A recorded episode: the task, the episode seed and the actions, enough to replay it exactly.
///
/// Stored as one JSON object per file (`{"task":"staircase","seed":42,"actions":[0,3,...]}`).
public struct EpisodeRecording: Codable, Sendable, Equatable {
    /// The policy that chose the actions, as `yendor evaluate --record` writes it.
    public struct Player: Codable, Sendable, Equatable {
        /// The checkpoint's directory, its policy version, and the env steps the run had trained
        /// for when it was written.
        public var checkpoint: String, policyVersion: Int64, envSteps: UInt64
        /// How actions were chosen from the policy.
        public var selection: Selection

        public enum Selection: String, Codable, Sendable {
            /// Drawn from the policy's distribution, as in training.
            case sampled
            /// The most probable action.
            case greedy
        }

        public init(checkpoint: String, policyVersion: Int64, envSteps: UInt64, selection: Selection) {
            self.checkpoint = checkpoint
            self.policyVersion = policyVersion
            self.envSteps = envSteps
            self.selection = selection
        }

        /// One line for a replay's status: `ckpt-… (policy version V, N env steps, sampled)`.
        public var summary: String {
            "\(URL(fileURLWithPath: checkpoint).lastPathComponent) (policy version \(policyVersion), \(envSteps) env steps, \(selection.rawValue))"
        }
    }

    public var task: String
    public var seed: UInt64
    /// `Action` raw values in order.
    public var actions: [Int32]
    /// Map size the episode was played on.
    public var rows: Int
    public var columns: Int
    /// Who played it: nil for a game played by hand (`yendor play --record`), and in recordings
    /// written before the field existed.
    public var player: Player?

    public init(task: String, seed: UInt64, actions: [Int32] = [], rows: Int = 21, columns: Int = 79, player: Player? = nil) {
        self.task = task
        self.seed = seed
        self.actions = actions
        self.rows = rows
        self.columns = columns
        self.player = player
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)  // never half a recording
    }

    public static func read(from url: URL) throws -> EpisodeRecording {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DungeonError.invalidRecording("\(url.path): no such file, or not readable")
        }
        do {
            return try JSONDecoder().decode(EpisodeRecording.self, from: data)
        } catch let error as DecodingError {
            throw DungeonError.invalidRecording("\(url.path) is not an episode recording: \(error.summary)")
        } catch {
            throw DungeonError.invalidRecording("\(url.path): \(error)")
        }
    }

    /// A fresh game for this recording, before any action.
    public func makeGame() throws -> Game {
        let task = try TaskRegistry.task(named: task)
        let configuration = task.gameConfiguration(rows: rows, columns: columns)
        try configuration.validate()
        return Game(configuration: configuration, seed: seed)
    }

    /// Replays the actions, calling `visit` after the start and after every step; returns the final game.
    @discardableResult
    public func replay(_ visit: (Game, Int) -> Void = { _, _ in }) throws -> Game {
        var game = try makeGame()
        visit(game, 0)
        for (index, raw) in actions.enumerated() {
            guard let action = Action(rawValue: raw) else {
                throw DungeonError.invalidRecording("action \(raw) at step \(index) is outside 0..<\(Action.count)")
            }
            game.step(action)
            visit(game, index + 1)
            if game.isDead { break }
        }
        return game
    }
}
