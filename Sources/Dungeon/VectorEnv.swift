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
public final class VectorEnv: VectorEnvironment {
    /// Settings of a vector env.
    public struct Configuration: Sendable, Equatable {
        /// Observation sizes (the map size is also the game's map size); `ObservationSpec.dungeon(…)`.
        public var spec: ObservationSpec
        /// Write the full glyph map each step. False leaves `glyphs` untouched (zero) and is faster
        /// for crop-only policies.
        public var writeFullMap: Bool

        public init(spec: ObservationSpec = .dungeon(), writeFullMap: Bool = true) {
            self.spec = spec
            self.writeFullMap = writeFullMap
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
    private var captionCounters: [[UInt64: Int32]]
    /// Episodes that ended during the last `step` (capacity `count`, reused).
    public private(set) var finishedEpisodes: [FinishedEpisode]

    private let glyphStorage: UnsafeMutableBufferPointer<Int16>
    private let cropStorage: UnsafeMutableBufferPointer<Int16>
    private let blstatStorage: UnsafeMutableBufferPointer<Int32>
    private let captionStorage: UnsafeMutableBufferPointer<UInt8>
    private let captionLengthStorage: UnsafeMutableBufferPointer<Int32>
    private let captionCountStorage: UnsafeMutableBufferPointer<Int32>
    private let rewardStorage: UnsafeMutableBufferPointer<Float>
    private let doneStorage: UnsafeMutableBufferPointer<UInt8>
    private let truncatedStorage: UnsafeMutableBufferPointer<UInt8>

    /// Full maps, `[count * rows * columns]` glyph ids.
    public var glyphs: UnsafeBufferPointer<Int16> { UnsafeBufferPointer(glyphStorage) }
    /// Egocentric crops, `[count * cropSize * cropSize]` glyph ids.
    public var crop: UnsafeBufferPointer<Int16> { UnsafeBufferPointer(cropStorage) }
    /// Status vectors, `[count * BLStat.count]`, indexed by `BLStat`.
    public var blstats: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(blstatStorage) }
    /// Captions, `[count * captionBytes]` UTF-8 bytes, zero-padded.
    public var captions: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(captionStorage) }
    /// Caption lengths in bytes, `[count]` (0 = no message).
    public var captionLength: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(captionLengthStorage) }
    /// How many times this exact caption (empty included) has occurred in the env's current
    /// episode, counting this one, `[count]`: the N(caption) of ONI's count-based reward.
    public var captionCount: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(captionCountStorage) }
    /// Reward of the last step, `[count]`.
    public var reward: UnsafeBufferPointer<Float> { UnsafeBufferPointer(rewardStorage) }
    /// 1 where the last step ended the episode (for any reason), `[count]`.
    public var done: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(doneStorage) }
    /// 1 where the last step ended the episode by the step limit, `[count]`.
    public var truncated: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(truncatedStorage) }

    /// Creates `count` games of the named task; throws for an unknown task (listing the known
    /// ones) or invalid sizes. The envs start reset.
    public init(task name: String, count: Int, seed: UInt64, configuration: Configuration = Configuration()) throws {
        let task = try TaskRegistry.task(named: name)
        guard count >= 1 else { throw DungeonError.invalidConfiguration("count must be at least 1, got \(count)") }
        try configuration.spec.validateForDungeon()
        self.task = task
        self.count = count
        self.configuration = configuration
        let layout = configuration.spec
        let gameConfiguration = task.gameConfiguration(rows: layout.mapRows, columns: layout.mapColumns,
                                                       captionBytes: layout.captionBytes)
        games = (0..<count).map { _ in Game(configuration: gameConfiguration, seed: 0) }
        seedStreams = (0..<count).map { SplitMix64(seed: SplitMix64.derive(seed, UInt64($0))) }
        episodeSeeds = [UInt64](repeating: 0, count: count)
        episodeReturns = [Float](repeating: 0, count: count)
        episodeLengths = [Int](repeating: 0, count: count)
        previousScores = [Int](repeating: 0, count: count)
        succeeded = [Bool](repeating: false, count: count)
        captionCounters = (0..<count).map { _ in
            var counter = [UInt64: Int32]()
            counter.reserveCapacity(512)
            return counter
        }
        finishedEpisodes = []
        finishedEpisodes.reserveCapacity(count)

        func allocate<T>(_ n: Int, _ zero: T) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
            buffer.initialize(repeating: zero)
            return buffer
        }
        glyphStorage = allocate(count * layout.glyphsPerEnv, 0)
        cropStorage = allocate(count * layout.cropPerEnv, 0)
        blstatStorage = allocate(count * layout.blstatsCount, 0)
        captionStorage = allocate(count * layout.captionBytes, 0)
        captionLengthStorage = allocate(count, 0)
        captionCountStorage = allocate(count, 0)
        rewardStorage = allocate(count, 0)
        doneStorage = allocate(count, 0)
        truncatedStorage = allocate(count, 0)
        reset()
    }

    deinit {
        glyphStorage.deallocate()
        cropStorage.deallocate()
        blstatStorage.deallocate()
        captionStorage.deallocate()
        captionLengthStorage.deallocate()
        captionCountStorage.deallocate()
        rewardStorage.deallocate()
        doneStorage.deallocate()
        truncatedStorage.deallocate()
    }

    /// Starts a new episode in every env (next seed of each env's stream) and writes first observations.
    public func reset() {
        finishedEpisodes.removeAll(keepingCapacity: true)
        for i in 0..<count {
            startEpisode(i)
            rewardStorage[i] = 0
            doneStorage[i] = 0
            truncatedStorage[i] = 0
        }
    }

    /// Steps every env with its action (`Action` raw values), then writes observations.
    public func step(actions: UnsafeBufferPointer<Int32>) throws {
        guard actions.count == count else {
            throw DungeonError.invalidConfiguration("expected \(count) actions, got \(actions.count)")
        }
        for i in 0..<count where actions[i] < 0 || Int(actions[i]) >= Action.count {
            throw DungeonError.invalidConfiguration("action \(actions[i]) for env \(i) is outside 0..<\(Action.count)")
        }
        finishedEpisodes.removeAll(keepingCapacity: true)
        for i in 0..<count {
            games[i].step(Action(rawValue: actions[i])!)
            episodeLengths[i] += 1
            let outcome = task.evaluate(game: games[i], previousScore: previousScores[i], alreadySucceeded: succeeded[i])
            previousScores[i] = games[i].score
            succeeded[i] = outcome.success
            episodeReturns[i] += outcome.reward
            rewardStorage[i] = outcome.reward
            let truncated = !outcome.terminal && episodeLengths[i] >= task.stepLimit
            doneStorage[i] = outcome.terminal || truncated ? 1 : 0
            truncatedStorage[i] = truncated ? 1 : 0
            if outcome.terminal || truncated {
                // Episode ends are rare, so building the final caption's String here costs little.
                let lastCaption = games[i].caption
                let lastCount = captionCounters[i][games[i].captionHash, default: 0] + 1
                finishedEpisodes.append(FinishedEpisode(
                    envIndex: i, task: task.name, episodeReturn: episodeReturns[i], length: episodeLengths[i],
                    success: outcome.success, truncated: truncated, seed: episodeSeeds[i],
                    deepest: games[i].deepest, score: games[i].score,
                    lastCaption: lastCaption, lastCaptionCount: Int32(lastCount)))
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
        captionCounters[i].removeAll(keepingCapacity: true)
        writeObservation(i)
    }

    private func writeObservation(_ i: Int) {
        let layout = configuration.spec
        if configuration.writeFullMap {
            games[i].writeGlyphs(into: glyphStorage.baseAddress! + i * layout.glyphsPerEnv)
        }
        games[i].writeCrop(into: cropStorage.baseAddress! + i * layout.cropPerEnv, size: layout.cropSize)
        games[i].writeBlstats(into: blstatStorage.baseAddress! + i * layout.blstatsCount)
        let captionStart = captionStorage.baseAddress! + i * layout.captionBytes
        let previousLength = Int(captionLengthStorage[i])
        let length = games[i].writeCaption(into: captionStart)
        if previousLength > length { (captionStart + length).update(repeating: 0, count: previousLength - length) }
        captionLengthStorage[i] = Int32(length)
        let hash = games[i].captionHash
        let seen = captionCounters[i][hash, default: 0] + 1
        captionCounters[i][hash] = seen
        captionCountStorage[i] = seen
    }
}
