import YendorEnvironment

/// A sparse-reward grid env written in Swift, to show what a third environment takes: a walled room,
/// the agent starts by the west wall on a random row, the exit is in the east wall on another random
/// row; reaching it pays 1 and ends the episode, nothing else pays, and an episode is cut at
/// `stepLimit` steps. Actions: north, east, south, west, wait. Captions say what happened ("You
/// bump into a wall.", "You reach the exit!"), so the annotator has something to label.
final class Corridor: BufferedVectorEnvironment {
    static let rows = 7, columns = 15, stepLimit = 120
    static let spec = ObservationSpec(environment: "corridor", mapRows: rows, mapColumns: columns, cropSize: 5,
                                      glyphCount: 4, blstatsCount: 3, captionBytes: 32, actionCount: 5)

    /// Glyph ids: what the map and the crop hold (`spec.glyphCount` of them).
    enum Glyph: Int16 { case floor, wall, agent, exit }

    var spec: ObservationSpec { Corridor.spec }
    let count: Int
    let taskName = "corridor"
    let buffers: EnvironmentBuffers
    private(set) var finishedEpisodes: [FinishedEpisode] = []

    /// Per env: where the agent and the exit are, the episode so far and its seed.
    private struct Episode {
        var x = 1, y = 1, exitRow = 1, steps = 0, reward: Float = 0, seed: UInt64 = 0
        var captions = EpisodeCaptionCounts()
    }
    private var episodes: [Episode]
    /// One stream per env, each yielding one seed per episode (as Dungeon seeds its envs).
    private var seedStreams: [SplitMix64]

    init(count: Int, seed: UInt64) {
        self.count = count
        buffers = EnvironmentBuffers(spec: Corridor.spec, count: count)
        episodes = Array(repeating: Episode(), count: count)
        var root = SplitMix64(seed: seed)
        seedStreams = (0..<count).map { _ in SplitMix64(seed: root.next()) }
        for i in 0..<count { startEpisode(i) }
    }

    func reset() throws {
        for i in 0..<count { startEpisode(i) }
    }

    func step(actions: UnsafeBufferPointer<Int32>) throws {
        if let problem = actionProblem(actions) { throw CorridorError(message: problem) }
        finishedEpisodes.removeAll(keepingCapacity: true)
        for i in 0..<count {
            buffers.clearOutcome(i)
            var e = episodes[i]
            let (dx, dy) = [(0, -1), (1, 0), (0, 1), (-1, 0), (0, 0)][Int(actions[i])]
            let (x, y) = (e.x + dx, e.y + dy)
            var caption = ""
            if x == Self.columns - 1 && y == e.exitRow {
                (e.x, e.y) = (x, y)
                caption = "You reach the exit!"
                buffers.reward[i] = 1
            } else if Self.isWall(x, y) {
                if dx != 0 || dy != 0 { caption = "You bump into a wall." }
            } else {
                (e.x, e.y) = (x, y)
            }
            e.steps += 1
            e.reward += buffers.reward[i]
            episodes[i] = e
            let success = buffers.reward[i] > 0
            if success || e.steps >= Self.stepLimit {
                // Auto-reset: the outcome describes this step, the observation the next episode's first.
                buffers.done[i] = 1
                buffers.truncated[i] = success ? 0 : 1
                let key = EpisodeCaptionCounts.key(caption.utf8)
                finishedEpisodes.append(FinishedEpisode(envIndex: i, task: taskName, episodeReturn: e.reward, length: e.steps,
                                                        success: success, truncated: !success, seed: e.seed, deepest: 1,
                                                        score: Int(e.reward), lastCaption: caption,
                                                        lastCaptionCount: e.captions.peek(key)))
                startEpisode(i)
            } else {
                write(i, caption: caption)
            }
        }
    }

    /// The room's border (the exit is a cell of it).
    private static func isWall(_ x: Int, _ y: Int) -> Bool { x <= 0 || y <= 0 || x >= columns - 1 || y >= rows - 1 }

    private func startEpisode(_ i: Int) {
        let seed = seedStreams[i].next()
        var rng = SplitMix64(seed: seed)
        episodes[i] = Episode(x: 1, y: 1 + rng.below(Self.rows - 2), exitRow: 1 + rng.below(Self.rows - 2), seed: seed)
        write(i, caption: "")
    }

    /// The map, the crop around the agent, the status vector and the caption of env `i`.
    private func write(_ i: Int, caption: String) {
        let e = episodes[i]
        func glyph(_ x: Int, _ y: Int) -> Glyph {
            if x == e.x && y == e.y { return .agent }
            if x == Self.columns - 1 && y == e.exitRow { return .exit }
            return Self.isWall(x, y) ? .wall : .floor
        }
        let cells = Self.rows * Self.columns
        for y in 0..<Self.rows {
            for x in 0..<Self.columns { buffers.glyphs[i * cells + y * Self.columns + x] = glyph(x, y).rawValue }
        }
        let size = spec.cropSize, half = size / 2
        for r in 0..<size {
            for c in 0..<size {
                let (x, y) = (e.x - half + c, e.y - half + r)
                let inside = x >= 0 && y >= 0 && x < Self.columns && y < Self.rows
                buffers.crop[i * size * size + r * size + c] = (inside ? glyph(x, y) : .wall).rawValue
            }
        }
        for (j, value) in [e.x, e.y, e.steps].enumerated() { buffers.blstats[i * spec.blstatsCount + j] = Int32(value) }
        let bytes = Array(caption.utf8.prefix(spec.captionBytes))
        for j in 0..<spec.captionBytes { buffers.captions[i * spec.captionBytes + j] = j < bytes.count ? bytes[j] : 0 }
        buffers.captionLength[i] = Int32(bytes.count)
        buffers.captionCount[i] = episodes[i].captions.count(EpisodeCaptionCounts.key(bytes))
    }
}

/// An action the env cannot take.
struct CorridorError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
