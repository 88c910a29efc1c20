import YendorEnvironment

/// An environment a program registered in Swift (`env.kind: swift`), its every observation and step
/// checked against the `VectorEnvironment` contract before rollouts read it: what the built-in envs
/// keep by construction and env servers are checked for. A broken promise (an episode of an env
/// out of range, a done flag with no episode, a reward that is not finite, a glyph id outside the
/// spec) stops the worker naming the environment and what broke, where it trapped in the recorder
/// or sent trajectories the learner refused until it evicted the worker. An episode's last caption
/// longer than the spec's capacity is cut on a character boundary, as an env server's is.
final class CheckedVectorEnvironment: VectorEnvironment {
    private let inner: any VectorEnvironment
    /// The registered name, for errors.
    let name: String
    private(set) var finishedEpisodes: [FinishedEpisode] = []

    init(_ inner: any VectorEnvironment, name: String) throws {
        self.inner = inner
        self.name = name
        try checkObservations()
    }

    var spec: ObservationSpec { inner.spec }
    var count: Int { inner.count }
    var taskName: String { inner.taskName }
    var glyphs: UnsafeBufferPointer<Int16> { inner.glyphs }
    var crop: UnsafeBufferPointer<Int16> { inner.crop }
    var blstats: UnsafeBufferPointer<Int32> { inner.blstats }
    var captions: UnsafeBufferPointer<UInt8> { inner.captions }
    var captionLength: UnsafeBufferPointer<Int32> { inner.captionLength }
    var captionCount: UnsafeBufferPointer<Int32> { inner.captionCount }
    var reward: UnsafeBufferPointer<Float> { inner.reward }
    var done: UnsafeBufferPointer<UInt8> { inner.done }
    var truncated: UnsafeBufferPointer<UInt8> { inner.truncated }

    func reset() throws {
        try inner.reset()
        finishedEpisodes = []
        try checkObservations()
    }

    func step(actions: UnsafeBufferPointer<Int32>) throws {
        try inner.step(actions: actions)
        try checkObservations()
        finishedEpisodes = try checkedEpisodes()
    }

    private func broken(_ problem: String) -> RolloutError { .environmentContract(name: name, problem: problem) }

    /// The glyph ids of the map and the crop, and each env's caption length and count.
    private func checkObservations() throws {
        for (array, values, side) in [("crop", inner.crop, spec.cropSize), ("glyphs", inner.glyphs, spec.mapColumns)] {
            // The range first, in one pass the compiler vectorises; the culprit only when it is broken.
            var low = Int16.max, high = Int16.min
            for v in values { low = min(low, v); high = max(high, v) }
            guard low < 0 || Int(high) >= spec.glyphCount else { continue }
            let perEnv = values.count / max(1, count)
            if let j = values.firstIndex(where: { $0 < 0 || Int($0) >= spec.glyphCount }) {
                let cell = j % max(1, perEnv)
                throw broken("\(array) of env \(j / max(1, perEnv)), row \(cell / side), column \(cell % side): glyph id \(values[j]) is outside the spec's 0..<\(spec.glyphCount)")
            }
        }
        for i in 0..<count {
            if !(0...Int32(spec.captionBytes)).contains(inner.captionLength[i]) {
                throw broken("captionLength[\(i)] = \(inner.captionLength[i]), outside the spec's 0...\(spec.captionBytes)")
            }
            if inner.captionCount[i] < 1 {
                throw broken("captionCount[\(i)] = \(inner.captionCount[i]): N(caption) counts this showing too, so it is at least 1 (EpisodeCaptionCounts)")
            }
        }
    }

    /// The step's outcome flags and its finished episodes, one per env whose done flag is set.
    private func checkedEpisodes() throws -> [FinishedEpisode] {
        var episodes = inner.finishedEpisodes
        var reported = Set<Int>()
        for k in episodes.indices {
            let e = episodes[k]
            let problem: String? =
                !(0..<count).contains(e.envIndex) ? "envIndex \(e.envIndex) is outside 0..<\(count)"
                : !reported.insert(e.envIndex).inserted ? "env \(e.envIndex) reported a second episode in the same step"
                : inner.done[e.envIndex] == 0 ? "env \(e.envIndex)'s done flag is not set"
                : e.length < 1 ? "length \(e.length), expected at least 1"
                : !e.episodeReturn.isFinite ? "return \(e.episodeReturn) is not finite"
                : nil
            if let problem { throw broken("finishedEpisodes[\(k)]: \(problem)") }
            if e.lastCaption.utf8.count > spec.captionBytes { episodes[k].lastCaption = spec.captionText(e.lastCaption.utf8) }
        }
        for i in 0..<count {
            let (r, d, t) = (inner.reward[i], inner.done[i], inner.truncated[i])
            let problem: String? =
                !r.isFinite ? "reward[\(i)] = \(r) is not finite"
                : d > 1 || t > 1 ? "done[\(i)] = \(d), truncated[\(i)] = \(t): flags are 0 or 1"
                : t == 1 && d == 0 ? "truncated[\(i)] is set without done[\(i)]"
                : d == 1 && !reported.contains(i) ? "done[\(i)] is set but no finished episode reports env \(i) (auto-reset: report it in finishedEpisodes)"
                : nil
            if let problem { throw broken(problem) }
        }
        return episodes
    }
}
