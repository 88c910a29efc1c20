import YendorNN
import YendorSupport
import YendorWire

/// ONI-Ranking (Motif-style): a Bradley–Terry reward model r(caption) trained online on
/// pairwise preferences, normalised and thresholded.
///
/// Pairs to label are drawn from a reservoir of recent captions. The network (hashed
/// features → mean embedding → ReLU → scalar, `CaptionScorer`) minimises the logistic loss
/// on r(first) − r(second) with target 1, 0 or ½ (tie). The reward of a caption is
/// n = (r − μ)/σ with μ, σ running statistics of the per-step raw rewards of observed
/// experience, set to 0 unless n exceeds the `thresholdQuantile` quantile of the most
/// recent normalised per-step rewards. Pairs whose (unordered) captions hash into the
/// held-out fraction measure pairwise accuracy and are never trained on.
public final class RankingRewardModel: RewardModel {
    public struct Configuration: Sendable, Codable, Equatable {
        /// The scorer's size, training and held-out split (pairs are held out by their unordered captions).
        public var scorer = ScorerTraining()
        /// Training preferences kept (the most recent; the oldest is forgotten when full).
        /// Repeated labels for the same pair are all kept: for a noisy annotator they are evidence.
        public var maxPreferences = 50_000
        /// Held-out preferences kept (the most recent).
        public var maxHeldOutPreferences = 5_000
        /// No training and zero reward until this many training preferences have arrived.
        public var minimumPreferences = 20
        /// Normalise rewards with running mean and standard deviation (ONI's `rew_norm`).
        public var normalize = true
        /// Normalised rewards at or below this quantile of the recent normalised rewards
        /// become 0 (0 disables the threshold).
        public var thresholdQuantile: Float = 0.5
        /// Recent per-step normalised rewards the quantile is taken over.
        public var recentRewardWindow = 10_000
        /// Distinct recent captions kept to draw pairs from; when full, a new caption
        /// replaces a random one (`CaptionReservoir`).
        public var reservoirCapacity = 10_000
        /// Most pair queries awaiting an answer; when full, the oldest is forgotten.
        public var maxPendingQueries = 10_000
        /// Seconds a query may go unanswered before it is forgotten and asked again when seen
        /// (an annotator may drop it without a word that reaches the model: `PendingQueries`).
        public var queryRetrySeconds: Float = 60

        public init() {}

        /// Throws naming the first field out of range.
        public func validate() throws {
            try scorer.validate(section: "ranking")
            try RewardValidation.positive(maxPreferences, "ranking.maxPreferences")
            try RewardValidation.positive(maxHeldOutPreferences, "ranking.maxHeldOutPreferences")
            try RewardValidation.positive(minimumPreferences, "ranking.minimumPreferences")
            try RewardValidation.fraction(thresholdQuantile, "ranking.thresholdQuantile")
            try RewardValidation.positive(recentRewardWindow, "ranking.recentRewardWindow")
            try RewardValidation.positive(reservoirCapacity, "ranking.reservoirCapacity")
            try RewardValidation.positive(maxPendingQueries, "ranking.maxPendingQueries")
            try RewardValidation.positive(queryRetrySeconds, "ranking.queryRetrySeconds")
        }
    }

    /// A preference with both captions' features computed once.
    struct Pair {
        /// The ordered pair's captions joined by NUL (see `key`).
        var key: String
        var first: [Int32]
        var second: [Int32]
        var target: Float
    }

    public let configuration: Configuration
    public var name: String { "ranking" }

    let scorer: CaptionScorer
    /// Preferences kept (training and held out, under sequence numbers) and the training loop.
    private(set) var fit: ScorerFit<Pair>
    /// How many kept preferences mention each caption (for `isLabeled`).
    private var labeledCaptions: [String: Int] = [:]
    /// How many kept preferences each ordered pair has (repeated labels are all kept:
    /// for a noisy annotator they are evidence, as in a Bradley–Terry dataset).
    private var labeledPairs: [String: Int] = [:]
    /// Ring keys: preferences are stored under a sequence number, not deduplicated.
    private var sequence = 0
    private(set) var normalizer = RunningMeanStd()
    private(set) var recent: RecentValues
    /// The reward threshold in normalised units (nil: no threshold yet).
    private(set) var threshold: Float?
    private var reservoir: CaptionReservoir
    private var pending: PendingQueries
    private var rawCache: [String: Float] = [:]
    private var preferencesReceived = 0
    private var queried = 0
    private var answered = 0

    public init(configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
        scorer = configuration.scorer.makeScorer(prefix: "rewards.ranking")
        fit = ScorerFit(trainingCapacity: configuration.maxPreferences, heldOutCapacity: configuration.maxHeldOutPreferences,
                        seed: configuration.scorer.seed ^ 0x5EED_0A4C)
        recent = RecentValues(capacity: configuration.recentRewardWindow)
        reservoir = CaptionReservoir(capacity: configuration.reservoirCapacity)
        pending = PendingQueries(capacity: configuration.maxPendingQueries, retryAfter: Double(configuration.queryRetrySeconds))
    }

    /// True once enough preferences arrived for the model to be trained and used.
    var isActive: Bool { fit.training.count >= configuration.minimumPreferences }

    public func observe(captions: [String], captionIndex: [Int32]) {
        var steps = [Int](repeating: 0, count: captions.count)
        for i in captionIndex { steps[Int(i)] += 1 }
        for (k, caption) in captions.enumerated() where steps[k] > 0 && !CaptionQueryTracker.isBlank(caption) {
            reservoir.add(caption, rng: &fit.rng)
        }
        guard isActive else { return }
        // Statistics weigh each caption by its number of steps, as per-step rewards would.
        let scored = captions.indices.filter { steps[$0] > 0 && !CaptionQueryTracker.isBlank(captions[$0]) }
        let raws = rawRewards(scored.map { captions[$0] })
        var stepRaws: [Float] = []
        stepRaws.reserveCapacity(captionIndex.count)
        for (k, r) in zip(scored, raws) {
            for _ in 0..<steps[k] { stepRaws.append(r) }
        }
        guard !stepRaws.isEmpty else { return }
        if configuration.normalize { normalizer.update(stepRaws) }
        for r in stepRaws { recent.append(normalized(r)) }
        updateThreshold()
    }

    public func observe(_ answer: LabeledTask) {
        guard let (first, second, target) = answer.preference else { return }
        preferencesReceived += 1
        let key = Self.key(first, second)
        if pending.remove(key) { answered += 1 }
        let pair = Pair(key: key, first: scorer.featurizer.features(first), second: scorer.featurizer.features(second), target: target)
        sequence += 1
        let evicted = fit.insert(String(sequence), pair, heldOut: isHeldOut(first, second))
        count(pair.key, by: 1)
        if let evicted { count(evicted.item.key, by: -1) }
    }

    /// Adjusts the reference counts of a pair and its two captions.
    private func count(_ key: String, by delta: Int) {
        func adjust(_ table: inout [String: Int], _ k: String) {
            let n = (table[k] ?? 0) + delta
            table[k] = n > 0 ? n : nil
        }
        adjust(&labeledPairs, key)
        let (a, b) = Self.captions(ofKey: key)
        adjust(&labeledCaptions, a)
        adjust(&labeledCaptions, b)
    }

    public func reward(for caption: String) -> Float {
        guard isActive, !CaptionQueryTracker.isBlank(caption) else { return 0 }
        let n = normalized(rawRewards([caption])[0])
        if let threshold, n <= threshold { return 0 }
        return n
    }

    /// The raw Bradley–Terry score r(caption), before normalisation and threshold.
    public func score(of caption: String) -> Float {
        scorer.forward([scorer.featurizer.features(caption)])[0]
    }

    public func isLabeled(_ caption: String) -> Bool { labeledCaptions[caption] != nil }

    public func captionsWanted(limit: Int) -> [LabelTask] {
        queried -= pending.expire()
        var out: [LabelTask] = []
        var attempts = 0
        while out.count < limit, attempts < 4 * limit {
            attempts += 1
            guard let (a, b) = reservoir.samplePair(rng: &fit.rng) else { break }
            let key = Self.key(a, b)
            if pending.contains(key) || labeledPairs[key] != nil { continue }
            pending.insert(key)
            queried += 1
            out.append(.rank(first: a, second: b))
        }
        return out
    }

    @discardableResult
    public func trainStep(maxSteps: Int) -> Int {
        guard isActive, maxSteps > 0 else { return 0 }
        fit.train(scorer, steps: maxSteps, batchSize: configuration.scorer.batchSize,
                  learningRate: configuration.scorer.learningRate) { [scorer] batch in
            Self.lossAndGradient(scorer: scorer, bags: batch.map(\.first) + batch.map(\.second), targets: batch.map(\.target))
        }
        rawCache.removeAll(keepingCapacity: true)
        return maxSteps
    }

    /// Forward pass and Bradley–Terry loss for `bags` = [firsts…, seconds…]; returns the
    /// loss and d(loss)/d(score) for every bag (seconds get the negated gradient).
    static func lossAndGradient(scorer: CaptionScorer, bags: [[Int32]], targets: [Float]) -> (Float, [Float]) {
        let scores = scorer.forward(bags)
        let n = targets.count
        let (loss, gFirst) = PairwiseLoss.bradleyTerry(first: Array(scores[0..<n]), second: Array(scores[n..<(2 * n)]), targets: targets)
        return (loss, gFirst + gFirst.map { -$0 })
    }

    /// Fraction of held-out non-tie pairs ordered correctly by r (nil with none).
    public var heldOutAccuracy: Double? {
        fit.accuracy { [scorer] items in
            let decided = items.filter { $0.target != 0.5 }
            guard !decided.isEmpty else { return nil }
            var correct = 0
            var start = 0
            while start < decided.count {
                let chunk = decided[start..<min(start + 512, decided.count)]
                let scores = scorer.forward(chunk.map(\.first) + chunk.map(\.second))
                for (i, p) in chunk.enumerated() where (scores[i] > scores[chunk.count + i]) == (p.target > 0.5) {
                    correct += 1
                }
                start += chunk.count
            }
            return Double(correct) / Double(decided.count)
        }
    }

    private func normalized(_ raw: Float) -> Float {
        configuration.normalize ? normalizer.normalize(raw) : raw
    }

    private func updateThreshold() {
        threshold = configuration.thresholdQuantile > 0 ? recent.quantile(configuration.thresholdQuantile) : nil
    }

    /// Raw scores, from the cache or one batched forward for the missing ones.
    private func rawRewards(_ captions: [String]) -> [Float] {
        let missing = captions.filter { rawCache[$0] == nil }
        if !missing.isEmpty {
            if rawCache.count + missing.count > configuration.scorer.maxCachedRewards { rawCache.removeAll(keepingCapacity: true) }
            let unique = Array(Set(missing))
            let scores = scorer.forward(unique.map { scorer.featurizer.features($0) })
            for (c, s) in zip(unique, scores) { rawCache[c] = s }
        }
        return captions.map { rawCache[$0] ?? 0 }
    }

    private func isHeldOut(_ a: String, _ b: String) -> Bool {
        // Unordered, so (a, b) and (b, a) land in the same split.
        configuration.scorer.holdsOut(a < b ? Self.key(a, b) : Self.key(b, a))
    }

    static func key(_ first: String, _ second: String) -> String { first + "\u{0}" + second }

    static func captions(ofKey key: String) -> (String, String) {
        let parts = key.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }

    private struct Document: Codable, Sendable {
        var model: String
        var trainingKeys: [String]
        var trainingTargets: [Float]
        var trainingNext: Int
        var heldOutKeys: [String]
        var heldOutTargets: [Float]
        var heldOutNext: Int
        var normalizer: RunningMeanStd
        var recentNext: Int
        var reservoir: [String]
        var reservoirSeen: UInt64
        var adamStep: Int
        var rngState: UInt64
        var preferencesReceived: Int
        var queried: Int
        var answered: Int
        var trainSteps: Int
        var lastLoss: Float?
    }

    /// The document and weights copied now; the JSON encoding left to `state()`.
    public func snapshot() -> RewardModelSnapshot {
        let d = Document(
            model: name,
            trainingKeys: fit.training.items.map(\.key), trainingTargets: fit.training.items.map(\.target), trainingNext: fit.training.next,
            heldOutKeys: fit.heldOut.items.map(\.key), heldOutTargets: fit.heldOut.items.map(\.target), heldOutNext: fit.heldOut.next,
            normalizer: normalizer, recentNext: recent.next, reservoir: reservoir.captions, reservoirSeen: reservoir.seen,
            adamStep: scorer.optimizer.step, rngState: fit.rng.state, preferencesReceived: preferencesReceived,
            queried: queried, answered: answered, trainSteps: fit.trainSteps, lastLoss: fit.lastLoss)
        let recentTensor = NamedTensor(name: "rewards.ranking.recent", shape: [recent.values.count], values: recent.values)
        let tensors = scorer.stateTensors() + [recentTensor]
        return RewardModelSnapshot { RewardModelState.encode(d, tensors: tensors) }
    }

    public func loadState(_ state: RewardModelState) throws {
        let d = try state.decode(Document.self, model: name)
        guard d.trainingKeys.count == d.trainingTargets.count, d.heldOutKeys.count == d.heldOutTargets.count else {
            throw RewardError.badState("ranking state has mismatched pair and target counts")
        }
        let featurizer = scorer.featurizer
        func pairs(_ keys: [String], _ targets: [Float]) -> [Pair] {
            zip(keys, targets).map { key, target in
                let (a, b) = Self.captions(ofKey: key)
                return Pair(key: key, first: featurizer.features(a), second: featurizer.features(b), target: target)
            }
        }
        // Ring keys are just distinct sequence numbers; the pair keys live in the items.
        let trainingSlots = d.trainingKeys.indices.map { String($0 + 1) }
        let heldOutSlots = d.heldOutKeys.indices.map { String(trainingSlots.count + $0 + 1) }
        let newTraining = try KeyedRing(capacity: configuration.maxPreferences, keys: trainingSlots,
                                        items: pairs(d.trainingKeys, d.trainingTargets), next: d.trainingNext)
        let newHeldOut = try KeyedRing(capacity: configuration.maxHeldOutPreferences, keys: heldOutSlots,
                                       items: pairs(d.heldOutKeys, d.heldOutTargets), next: d.heldOutNext)
        let newRecent = try RecentValues(capacity: configuration.recentRewardWindow,
                                         values: try state.tensor("rewards.ranking.recent").values, next: d.recentNext)
        let newReservoir = try CaptionReservoir(capacity: configuration.reservoirCapacity, captions: d.reservoir, seen: d.reservoirSeen)
        try scorer.loadState(state.tensorsByName, adamStep: d.adamStep)
        fit.restore(training: newTraining, heldOut: newHeldOut, rngState: d.rngState, trainSteps: d.trainSteps, lastLoss: d.lastLoss)
        labeledCaptions = [:]
        labeledPairs = [:]
        sequence = trainingSlots.count + heldOutSlots.count
        for pair in fit.training.items + fit.heldOut.items { count(pair.key, by: 1) }
        normalizer = d.normalizer
        recent = newRecent
        updateThreshold()
        reservoir = newReservoir
        pending = PendingQueries(capacity: configuration.maxPendingQueries, retryAfter: Double(configuration.queryRetrySeconds))
        preferencesReceived = d.preferencesReceived
        queried = d.queried
        answered = d.answered
        rawCache.removeAll()
    }

    public var metrics: [RewardMetric: Double] {
        var m: [RewardMetric: Double] = [
            .labels: Double(preferencesReceived),
            .coverage: queried == 0 ? 0 : Double(answered) / Double(queried),
            .queriesRetried: Double(pending.forgotten),
            .trainLabels: Double(fit.training.count),
            .heldOutLabels: Double(fit.heldOut.count),
            .trainSteps: Double(fit.trainSteps),
            .normalizerMean: normalizer.mean,
            .normalizerStd: normalizer.variance.squareRoot(),
        ]
        if let t = threshold { m[.threshold] = Double(t) }
        if let a = heldOutAccuracy { m[.rankingAccuracy] = a }
        if let l = fit.lastLoss { m[.trainLoss] = Double(l) }
        return m
    }
}
