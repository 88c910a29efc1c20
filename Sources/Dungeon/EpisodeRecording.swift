import Foundation

/// A recorded episode: the task, the episode seed and the actions, enough to replay it exactly.
///
/// Stored as one JSON object per file (`{"task":"staircase","seed":42,"actions":[0,3,...]}`).
public struct EpisodeRecording: Codable, Sendable, Equatable {
    public var task: String
    public var seed: UInt64
    /// `Action` raw values in order.
    public var actions: [Int32]
    /// Map size the episode was played on.
    public var rows: Int
    public var columns: Int

    public init(task: String, seed: UInt64, actions: [Int32] = [], rows: Int = 21, columns: Int = 79) {
        self.task = task
        self.seed = seed
        self.actions = actions
        self.rows = rows
        self.columns = columns
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
