/// Settings of one game; a task fixes most of them.
public struct GameConfiguration: Sendable, Equatable {
    /// Map height in squares (NetHack's 21); at least 11.
    public var rows: Int
    /// Map width in squares (NetHack's 79); at least 21.
    public var columns: Int
    /// Dungeon level on which the Oracle lives.
    public var oracleDepth: Int
    /// Deepest level; it has no down staircase.
    public var bottomDepth: Int
    /// Level 1 is a key room: the down staircase sits in a room whose doors are locked and cannot
    /// be kicked open, and a key lies in another room.
    public var keyRoom: Bool
    /// Capacity of the message line in bytes.
    public var captionBytes: Int

    public init(rows: Int = 21, columns: Int = 79, oracleDepth: Int = 5, bottomDepth: Int = 12,
                keyRoom: Bool = false, captionBytes: Int = 256) {
        self.rows = rows
        self.columns = columns
        self.oracleDepth = oracleDepth
        self.bottomDepth = bottomDepth
        self.keyRoom = keyRoom
        self.captionBytes = captionBytes
    }

    /// Checks the sizes, naming the first one out of range.
    public func validate() throws {
        guard rows >= 11, rows <= 255 else { throw DungeonError.invalidConfiguration("rows must be in 11...255, got \(rows)") }
        guard columns >= 21, columns <= 255 else {
            throw DungeonError.invalidConfiguration("columns must be in 21...255, got \(columns)")
        }
        guard bottomDepth >= 1, bottomDepth <= 50 else {
            throw DungeonError.invalidConfiguration("bottomDepth must be in 1...50, got \(bottomDepth)")
        }
        guard oracleDepth >= 1 else { throw DungeonError.invalidConfiguration("oracleDepth must be at least 1, got \(oracleDepth)") }
        guard captionBytes >= 80 else {
            throw DungeonError.invalidConfiguration("captionBytes must be at least 80, got \(captionBytes)")
        }
    }
}

/// Errors from the Dungeon module, each naming what was wrong.
public enum DungeonError: Error, Equatable, CustomStringConvertible {
    case unknownTask(name: String, known: [String])
    case invalidConfiguration(String)
    case invalidRecording(String)

    public var description: String {
        switch self {
        case .unknownTask(let name, let known):
            return "unknown task '\(name)'; known tasks: \(known.joined(separator: ", "))"
        case .invalidConfiguration(let reason): return "invalid Dungeon configuration: \(reason)"
        case .invalidRecording(let reason): return "invalid episode recording: \(reason)"
        }
    }
}
