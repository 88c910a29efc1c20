import YendorEnvironment

/// N games of one task stepped together, writing struct-of-arrays observation buffers.
///
/// Buffers are allocated once, owned by the env and exposed read-only; they are valid until the
/// next `step` or `reset`. Per env `i` the slices are `glyphs[i*rows*columns ..< (i+1)*rows*columns]`,
/// `crop[i*crop*crop ...]`, `blstats[i*BLStat.count ...]`, `captions[i*captionBytes ...]` (UTF-8,
/// `captionLength[i]` bytes used, the rest zero).
///
/// Auto-reset: when an episode ends in `step`, `reward`, `done` and `truncated` describe that last
/// step, while the observation written for that env is the first one of its next episode.
/// `done[i] == 1` whenever the episode ended (goal, death or step limit); `truncated[i] == 1` only
/// when the step limit ended it, so `done && !truncated` means a true terminal state.
///
/// Seeds: env `i` owns a `SplitMix64` stream seeded with `SplitMix64.derive(runSeed, i)`; each of its
/// episodes is seeded with the stream's next output, which `episodeSeeds[i]` and `FinishedEpisode.seed`
/// report, so any single episode can be replayed alone.
///
/// Not thread-safe: one owner at a time. `step` performs no heap allocation in the steady state.
public final class VectorEnv: BufferedVectorEnvironment {
    /// Settings of a vector env.
    public struct Configuration: Sendable, Equatable {
        /// Observation sizes (the map size is also the game's map size); `ObservationSpec.dungeon(…)`.
        public var spec: ObservationSpec
        /// Write the full glyph map each step. False leaves `glyphs` untouched (zero) and is faster
        /// for crop-only policies.
        public var writeFullMap: Bool
        /// Steps after which an episode is cut (truncated); nil: the task's own `stepLimit`.
        public var stepLimit: Int?

        public init(spec: ObservationSpec = .dungeon(), writeFullMap: Bool = true, stepLimit: Int? = nil) {
            self.spec = spec
            self.writeFullMap = writeFullMap
            self.stepLimit = stepLimit
        }
    }

    public let task: DungeonTask
    public let count: Int
    public let configuration: Configuration
    public var spec: ObservationSpec { configuration.spec }
    public var taskName: String { task.name }

    private var games: [Game]
    private var seedStreams: [SplitMix64]
    /// Seed of the episode each env is currently playing.
    public private(set) var episodeSeeds: [UInt64]
    private var episodeReturns: [Float]
    private var episodeLengths: [Int]
    private var previousScores: [Int]
    private var succeeded: [Bool]
    /// Per env: caption hash -> occurrences in the current episode.
    private var captionCounts: [EpisodeCaptionCounts]
    /// Episodes that ended during the last `step` (capacity `count`, reused).
    public private(set) var finishedEpisodes: [FinishedEpisode]

    /// The output buffers: `glyphs` [count·rows·columns], `crop` [count·crop²], `blstats`
    /// [count·BLStat.count] (indexed by `BLStat`), `captions` [count·captionBytes] (UTF-8,
    /// zero-padded), `captionLength`, `captionCount` (N(caption) for ONI), `reward`, `done` (any end)
    /// and `truncated` (the step limit), each [count].
    public let buffers: EnvironmentBuffers

    /// Creates `count` games of the named task; throws for an unknown task (listing the known
    /// ones) or invalid sizes. The envs start reset.
    public init(task name: String, count: Int, seed: UInt64, configuration: Configuration = Configuration()) throws {
        let task = try TaskRegistry.task(named: name)
        guard count >= 1 else { throw DungeonError.invalidConfiguration("count must be at least 1, got \(count)") }
        if let limit = configuration.stepLimit, limit < 1 { throw DungeonError.invalidConfiguration("stepLimit must be at least 1, got \(limit)") }
        try configuration.spec.validateForDungeon()
        self.task = task
        self.count = count
        self.configuration = configuration
        let spec = configuration.spec
        let gameConfiguration = task.gameConfiguration(rows: spec.mapRows, columns: spec.mapColumns,
                                                       captionBytes: spec.captionBytes)
        games = (0..<count).map { _ in Game(configuration: gameConfiguration, seed: 0) }
        seedStreams = (0..<count).map { SplitMix64(seed: SplitMix64.derive(seed, UInt64($0))) }
        episodeSeeds = [UInt64](repeating: 0, count: count)
        episodeReturns = [Float](repeating: 0, count: count)
        episodeLengths = [Int](repeating: 0, count: count)
        previousScores = [Int](repeating: 0, count: count)
        succeeded = [Bool](repeating: false, count: count)
        captionCounts = [EpisodeCaptionCounts](repeating: EpisodeCaptionCounts(expectedCaptions: 512), count: count)
        finishedEpisodes = []
        finishedEpisodes.reserveCapacity(count)

        buffers = EnvironmentBuffers(spec: spec, count: count)
        reset()
    }

    /// Starts a new episode in every env (next seed of each env's stream) and writes first observations.
    public func reset() {
        finishedEpisodes.removeAll(keepingCapacity: true)
        for i in 0..<count {
            startEpisode(i)
            buffers.clearOutcome(i)
        }
    }

    /// Steps every env with its action (`Action` raw values), then writes observations.
    public func step(actions: UnsafeBufferPointer<Int32>) throws {
        if let problem = actionProblem(actions) { throw DungeonError.invalidConfiguration(problem) }
        finishedEpisodes.removeAll(keepingCapacity: true)
        for i in 0..<count {
            games[i].step(Action(rawValue: actions[i])!)
            episodeLengths[i] += 1
            let outcome = task.evaluate(game: games[i], previousScore: previousScores[i], alreadySucceeded: succeeded[i])
            previousScores[i] = games[i].score
            succeeded[i] = outcome.success
            episodeReturns[i] += outcome.reward
            buffers.reward[i] = outcome.reward
            let truncated = !outcome.terminal && episodeLengths[i] >= (configuration.stepLimit ?? task.stepLimit)
            buffers.done[i] = outcome.terminal || truncated ? 1 : 0
            buffers.truncated[i] = truncated ? 1 : 0
            if outcome.terminal || truncated {
                // Episode ends are rare, so building the final caption's String here costs little.
                let lastCaption = games[i].caption
                let lastCount = captionCounts[i].peek(games[i].captionKey)
                finishedEpisodes.append(FinishedEpisode(
                    envIndex: i, task: task.name, episodeReturn: episodeReturns[i], length: episodeLengths[i],
                    success: outcome.success, truncated: truncated, seed: episodeSeeds[i],
                    deepest: games[i].deepest, score: games[i].score,
                    lastCaption: lastCaption, lastCaptionCount: lastCount))
                startEpisode(i)
            } else {
                writeObservation(i)
            }
        }
    }

    /// The game of env `i`, read-only (for renderers and tests).
    public func game(_ i: Int) -> Game { games[i] }

    private func startEpisode(_ i: Int) {
        let seed = seedStreams[i].next()
        episodeSeeds[i] = seed
        games[i].reset(seed: seed)
        episodeReturns[i] = 0
        episodeLengths[i] = 0
        previousScores[i] = games[i].score
        succeeded[i] = false
        captionCounts[i].reset()
        writeObservation(i)
    }

    private func writeObservation(_ i: Int) {
        let spec = configuration.spec
        if configuration.writeFullMap {
            games[i].writeGlyphs(into: buffers.glyphs.baseAddress! + i * spec.glyphsPerEnv)
        }
        games[i].writeCrop(into: buffers.crop.baseAddress! + i * spec.cropPerEnv, size: spec.cropSize)
        games[i].writeBlstats(into: buffers.blstats.baseAddress! + i * spec.blstatsCount)
        let captionStart = buffers.captions.baseAddress! + i * spec.captionBytes
        let previousLength = Int(buffers.captionLength[i])
        let length = games[i].writeCaption(into: captionStart)
        if previousLength > length { (captionStart + length).update(repeating: 0, count: previousLength - length) }
        buffers.captionLength[i] = Int32(length)
        buffers.captionCount[i] = captionCounts[i].count(games[i].captionKey)
    }
}
