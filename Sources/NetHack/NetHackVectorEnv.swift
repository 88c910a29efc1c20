import YendorEnvironment

extension ObservationSpec {
    /// Real NetHack's spec: the 21×79 glyph map, a crop around the player, NLE's 27 statistics,
    /// the 256-byte message line as the caption, and the task's action count.
    public static func nle(cropSize: Int = 9, actions: NetHackActionSet = .task) -> ObservationSpec {
        ObservationSpec(environment: "nle", mapRows: NetHackGame.mapRows, mapColumns: NetHackGame.mapColumns, cropSize: cropSize,
                        glyphCount: NetHackGlyph.count, blstatsCount: 27, captionBytes: 256,
                        actionCount: actions.keys.count)
    }
}

/// N games of real NetHack stepped together, with NLE's task semantics, writing the same
/// struct-of-arrays buffers as Dungeon's `VectorEnv` (see `VectorEnvironment`).
///
/// Each step presses the action's key, then, as NLE's env layer does, presses space through
/// `--More--`, escapes text prompts and declines yes/no questions other than those about eating,
/// attacking, directions and praying (unless the task leaves all of them to the agent); rewards and the end of the episode follow `NetHackTask`.
/// Seeds come from `Seeding`; NetHack's moon phase and clock derive from the core seed, so a
/// run is reproducible from its seed on any day.
public final class NetHackVectorEnv: BufferedVectorEnvironment {
    /// How each episode's NetHack seeds are chosen.
    public enum Seeding: Sendable, Equatable {
        /// Env i draws (core, display) pairs from a `SplitMix64` stream seeded with
        /// `SplitMix64.derive(runSeed, i)`: the default, reproducible from the run seed.
        case derived(runSeed: UInt64)
        /// Episode k of env i uses core + k·count + i and display + k·count + i (for one env: the
        /// `--episode-seeds increment` rule of scripts/nle_reference.py).
        case sequential(core: UInt64, display: UInt64)
    }

    public let task: NetHackTask
    public let count: Int
    public let spec: ObservationSpec
    public var taskName: String { task.name }
    /// Write the full glyph map each step (false: only the crop).
    public let writeFullMap: Bool

    private var games: [NetHackGame]
    private var episodes: [NetHackEpisode]
    private var seedStreams: [SplitMix64]
    private let seeding: Seeding
    private var episodesStarted: [UInt64]
    /// Seeds of the episode each env is playing.
    public private(set) var episodeSeeds: [NetHackGame.Seeds]
    public private(set) var finishedEpisodes: [FinishedEpisode] = []
    private let keys: [Int32]

    /// The output buffers (read through the `VectorEnvironment` accessors).
    public let buffers: EnvironmentBuffers

    /// Free space the games' directory must keep while they play: NetHack aborts the process when
    /// it cannot write a level file, so below this the step throws, saying so, instead (a game does
    /// not start below it either). Tests raise it.
    var minimumFreeBytes = GameDirectory.minimumFreeBytes
    /// Vector steps between checks of that space (one `statvfs`, about once a second at training rates).
    static let spaceCheckInterval = 256
    private var stepsUntilSpaceCheck = 0

    /// Loads `count` private copies of the library and starts a game in each, seeded from `seed`.
    public convenience init(task name: String, count: Int, seed: UInt64, library: NetHackLibrary, cropSize: Int = 9,
                            writeFullMap: Bool = true, stepLimit: Int? = nil) throws {
        try self.init(task: name, count: count, seeding: .derived(runSeed: seed), library: library, cropSize: cropSize,
                      writeFullMap: writeFullMap, stepLimit: stepLimit)
    }

    /// Loads `count` private copies of the library and starts a game in each.
    public convenience init(task name: String, count: Int, seeding: Seeding, library: NetHackLibrary, cropSize: Int = 9,
                            writeFullMap: Bool = true, stepLimit: Int? = nil) throws {
        var task = try NetHackTask.named(name)
        if let stepLimit {
            guard stepLimit >= 1 else { throw NetHackError.invalidConfiguration("stepLimit must be at least 1, got \(stepLimit)") }
            task = task.withStepLimit(stepLimit)
        }
        try self.init(task: task, count: count, seeding: seeding, library: library, cropSize: cropSize, writeFullMap: writeFullMap)
    }

    /// The same for a task value (tests vary a task's limits).
    init(task: NetHackTask, count: Int, seeding: Seeding, library: NetHackLibrary, cropSize: Int, writeFullMap: Bool) throws {
        guard count >= 1 else { throw NetHackError.invalidConfiguration("count must be at least 1, got \(count)") }
        let spec = ObservationSpec.nle(cropSize: cropSize, actions: task.actions)
        do { try spec.validate() } catch { throw NetHackError.invalidConfiguration("\(error)") }
        self.task = task
        self.count = count
        self.spec = spec
        self.writeFullMap = writeFullMap
        keys = task.actions.keys
        buffers = EnvironmentBuffers(spec: spec, count: count)
        games = try (0..<count).map { _ in try NetHackGame(library: library, options: task.options) }
        episodes = [NetHackEpisode](repeating: NetHackEpisode(), count: count)
        self.seeding = seeding
        let runSeed: UInt64
        if case .derived(let s) = seeding { runSeed = s } else { runSeed = 0 }
        seedStreams = (0..<count).map { SplitMix64(seed: SplitMix64.derive(runSeed, UInt64($0))) }
        episodesStarted = [UInt64](repeating: 0, count: count)
        episodeSeeds = [NetHackGame.Seeds](repeating: .init(core: 0, display: 0), count: count)
        try reset()
    }

    /// Starts a new episode in every env.
    public func reset() throws {
        finishedEpisodes.removeAll(keepingCapacity: true)
        for i in 0..<count {
            try startEpisode(i)
            buffers.clearOutcome(i)
        }
    }

    public func step(actions: UnsafeBufferPointer<Int32>) throws {
        if let problem = actionProblem(actions) { throw NetHackError.invalidConfiguration(problem) }
        // Before any game moves: a disk filling mid-episode aborted the process without a word (trial Y).
        stepsUntilSpaceCheck -= 1
        if stepsUntilSpaceCheck <= 0 {
            stepsUntilSpaceCheck = Self.spaceCheckInterval
            try games[0].checkFreeSpace(minimum: minimumFreeBytes)
        }
        finishedEpisodes.removeAll(keepingCapacity: true)
        for i in 0..<count {
            let outcome = episodes[i].step(game: games[i], key: keys[Int(actions[i])], task: task)
            buffers.reward[i] = outcome.reward
            buffers.done[i] = outcome.ended ? 1 : 0
            buffers.truncated[i] = outcome.truncated ? 1 : 0
            if outcome.ended {
                let game = games[i]
                let lastCaption = game.messageText
                let lastCount = episodes[i].countCaption(game.message, commit: false)
                finishedEpisodes.append(FinishedEpisode(
                    envIndex: i, task: task.name, episodeReturn: episodes[i].episodeReturn, length: episodes[i].length,
                    success: outcome.won, truncated: outcome.truncated, seed: episodeSeeds[i].core,
                    deepest: episodes[i].deepest, score: episodes[i].lastScore,
                    lastCaption: lastCaption, lastCaptionCount: lastCount))
                try startEpisode(i)
            } else {
                writeObservation(i)
            }
        }
    }

    /// The game of env `i` (for rendering and tests).
    public func game(_ i: Int) -> NetHackGame { games[i] }

    private func startEpisode(_ i: Int) throws {
        let seeds: NetHackGame.Seeds
        switch seeding {
        case .derived:
            seeds = NetHackGame.Seeds(core: seedStreams[i].next(), display: seedStreams[i].next())
        case .sequential(let core, let display):
            let offset = episodesStarted[i] &* UInt64(count) &+ UInt64(i)
            seeds = NetHackGame.Seeds(core: core &+ offset, display: display &+ offset)
        }
        episodesStarted[i] += 1
        episodeSeeds[i] = seeds
        try episodes[i].start(game: games[i], seeds: seeds)
        writeObservation(i)
    }

    private func writeObservation(_ i: Int) {
        let game = games[i]
        if writeFullMap {
            let n = spec.glyphsPerEnv
            game.glyphs.withUnsafeBufferPointer { src in
                _ = UnsafeMutableBufferPointer(rebasing: buffers.glyphs[i * n..<(i + 1) * n]).update(fromContentsOf: src)
            }
        }
        writeCrop(i, game: game)
        let k = spec.blstatsCount
        for j in 0..<k { buffers.blstats[i * k + j] = Int32(clamping: game.blstats[j]) }
        let capacity = spec.captionBytes
        var length = 0
        while length < capacity && game.message[length] != 0 { length += 1 }
        for j in 0..<capacity { buffers.captions[i * capacity + j] = j < length ? game.message[j] : 0 }
        buffers.captionLength[i] = Int32(length)
        buffers.captionCount[i] = episodes[i].countCaption(game.message, commit: true)
    }

    /// The crop around the player; cells off the map read as stone (nothing known).
    private func writeCrop(_ i: Int, game: NetHackGame) {
        let size = spec.cropSize, half = size / 2, rows = spec.mapRows, columns = spec.mapColumns
        let x = game.blstats[NetHackStat.x], y = game.blstats[NetHackStat.y]
        let base = i * size * size
        for r in 0..<size {
            let row = y - half + r
            for c in 0..<size {
                let column = x - half + c
                let inside = row >= 0 && row < rows && column >= 0 && column < columns
                buffers.crop[base + r * size + c] = inside ? game.glyphs[row * columns + column] : Int16(NetHackGlyph.stone)
            }
        }
    }
}

extension NetHackTask {
    func withStepLimit(_ limit: Int) -> NetHackTask {
        var task = self
        task.stepLimit = limit
        return task
    }
}
