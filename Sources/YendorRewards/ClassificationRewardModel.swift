import YendorNN
import YendorSupport
import YendorWire

/// ONI-Classification: a text classifier trained online on the labels received so far,
/// so captions the annotator never saw still get a reward.
///
/// Features: hashed word unigrams and bigrams (`CaptionFeaturizer`). Network: mean
/// embedding → ReLU → logit (`CaptionScorer`), trained with binary cross-entropy and Adam
/// on minibatches sampled uniformly from the most recent `maxLabels` labels. The reward of
/// a caption is P(helpful), or 1/0 at `decisionThreshold` when `binarize` is set (ONI's
/// choice). Labels whose caption hashes into the held-out fraction are kept aside to
/// measure accuracy and are never trained on.
public final class ClassificationRewardModel: RewardModel {
    public struct Configuration: Sendable, Codable, Equatable {
        /// The scorer's size, training and held-out split.
        public var scorer = ScorerTraining()
        /// Training labels kept (the most recent; the oldest is forgotten when full).
        public var maxLabels = 50_000
        /// Held-out labels kept (the most recent).
        public var maxHeldOutLabels = 5_000
        /// No training and zero reward until this many training labels have arrived.
        public var minimumLabels = 10
        /// Reward 1 when P(helpful) > `decisionThreshold`, else 0 (as ONI). When false,
        /// the reward is P(helpful) itself.
        public var binarize = true
        /// Probability above which a caption counts as helpful (reward and accuracy).
        public var decisionThreshold: Float = 0.5
        /// Captions the annotator labeled use that label instead of the prediction.
        public var useKnownLabels = false
        /// Most unlabeled captions waiting to be queried (new ones dropped while full).
        public var maxCandidates = 10_000
        /// Most queries awaiting an answer; when full, the oldest is forgotten.
        public var maxPendingQueries = 10_000
        /// Seconds a query may go unanswered before it is forgotten and asked again when seen
        /// (an annotator may drop it without a word that reaches the model: `PendingQueries`).
        public var queryRetrySeconds: Float = 60

        public init() {}

        /// Throws naming the first field out of range.
        public func validate() throws {
            try scorer.validate(section: "classification")
            try RewardValidation.positive(maxLabels, "classification.maxLabels")
            try RewardValidation.positive(maxHeldOutLabels, "classification.maxHeldOutLabels")
            try RewardValidation.positive(minimumLabels, "classification.minimumLabels")
            try RewardValidation.fraction(decisionThreshold, "classification.decisionThreshold", open: true)
            try RewardValidation.positive(maxCandidates, "classification.maxCandidates")
            try RewardValidation.positive(maxPendingQueries, "classification.maxPendingQueries")
            try RewardValidation.positive(queryRetrySeconds, "classification.queryRetrySeconds")
        }
    }

    /// A label with its features computed once.
    struct Example {
        var target: Float
        var features: [Int32]
    }

    public let configuration: Configuration
    public var name: String { "classification" }

    let scorer: CaptionScorer
    /// Labels kept by caption (training and held out) and the training loop.
    private(set) var fit: ScorerFit<Example>
    private var tracker: CaptionQueryTracker
    private var cache: [String: Float] = [:]
    private var labelsReceived = 0

    public init(configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
        scorer = configuration.scorer.makeScorer(prefix: "rewards.classification")
        fit = ScorerFit(trainingCapacity: configuration.maxLabels, heldOutCapacity: configuration.maxHeldOutLabels,
                        seed: configuration.scorer.seed ^ 0x5EED_C1A5)
        tracker = CaptionQueryTracker(maxCandidates: configuration.maxCandidates, maxPending: configuration.maxPendingQueries,
                                      retryAfter: Double(configuration.queryRetrySeconds))
    }

    public func observe(captions: [String], captionIndex: [Int32]) {
        var used = [Bool](repeating: false, count: captions.count)
        for i in captionIndex { used[Int(i)] = true }
        var uncached: [String] = []
        for (k, caption) in captions.enumerated() where used[k] {
            tracker.noteSeen(caption, labeled: isLabeled(caption))
            if cache[caption] == nil { uncached.append(caption) }
        }
        // One batched forward for the block's new captions instead of one per caption.
        fillCache(uncached)
    }

    public func observe(_ answer: LabeledTask) {
        guard let (caption, helpful) = answer.classification else { return }
        labelsReceived += 1
        tracker.noteLabeled(caption)
        let example = Example(target: helpful ? 1 : 0, features: scorer.featurizer.features(caption))
        fit.insert(caption, example, heldOut: configuration.scorer.holdsOut(caption))
        if configuration.useKnownLabels { cache.removeValue(forKey: caption) }
    }

    public func reward(for caption: String) -> Float {
        if let r = cache[caption] { return r }
        fillCache([caption])
        return cache[caption] ?? 0
    }

    /// P(helpful) predicted for `caption` (ignores `binarize`, `useKnownLabels` and the cache).
    public func probability(of caption: String) -> Float {
        PairwiseLoss.sigmoid(scorer.forward([scorer.featurizer.features(caption)])[0])
    }

    public func isLabeled(_ caption: String) -> Bool { fit.training.contains(caption) || fit.heldOut.contains(caption) }

    public func captionsWanted(limit: Int) -> [LabelTask] {
        tracker.take(limit: limit, isLabeled: { isLabeled($0) }).map { .classify(caption: $0) }
    }

    @discardableResult
    public func trainStep(maxSteps: Int) -> Int {
        guard fit.training.count >= configuration.minimumLabels, maxSteps > 0 else { return 0 }
        fit.train(scorer, steps: maxSteps, batchSize: configuration.scorer.batchSize,
                  learningRate: configuration.scorer.learningRate) { [scorer] batch in
            PairwiseLoss.binaryCrossEntropy(logits: scorer.forward(batch.map(\.features)), targets: batch.map(\.target))
        }
        cache.removeAll(keepingCapacity: true)
        return maxSteps
    }

    /// Fraction of held-out labels the classifier gets right at `decisionThreshold`
    /// (nil with no held-out labels).
    public var heldOutAccuracy: Double? {
        fit.accuracy { [scorer, configuration] items in
            guard !items.isEmpty else { return nil }
            var correct = 0
            var start = 0
            while start < items.count {
                let chunk = items[start..<min(start + 1024, items.count)]
                let logits = scorer.forward(chunk.map(\.features))
                for (logit, e) in zip(logits, chunk) where (PairwiseLoss.sigmoid(logit) > configuration.decisionThreshold) == (e.target > 0.5) {
                    correct += 1
                }
                start += chunk.count
            }
            return Double(correct) / Double(items.count)
        }
    }

    private func fillCache(_ captions: [String]) {
        guard !captions.isEmpty else { return }
        if cache.count + captions.count > configuration.scorer.maxCachedRewards { cache.removeAll(keepingCapacity: true) }
        guard fit.training.count >= configuration.minimumLabels else {
            for c in captions { cache[c] = knownReward(c) ?? 0 }
            return
        }
        let logits = scorer.forward(captions.map { scorer.featurizer.features($0) })
        for (c, logit) in zip(captions, logits) {
            if CaptionQueryTracker.isBlank(c) { cache[c] = 0; continue }
            if let known = knownReward(c) { cache[c] = known; continue }
            let p = PairwiseLoss.sigmoid(logit)
            cache[c] = configuration.binarize ? (p > configuration.decisionThreshold ? 1 : 0) : p
        }
    }

    private func knownReward(_ caption: String) -> Float? {
        guard configuration.useKnownLabels else { return nil }
        return (fit.training.item(for: caption) ?? fit.heldOut.item(for: caption))?.target
    }

    private struct Document: Codable, Sendable {
        var model: String
        var trainingCaptions: [String]
        var trainingTargets: [Float]
        var trainingNext: Int
        var heldOutCaptions: [String]
        var heldOutTargets: [Float]
        var heldOutNext: Int
        var adamStep: Int
        var rngState: UInt64
        var labelsReceived: Int
        var trainSteps: Int
        var lastLoss: Float?
        var queried: Int
        var answered: Int
    }

    /// The document and weights copied now; the JSON encoding left to `state()`.
    public func snapshot() -> RewardModelSnapshot {
        let document = Document(
            model: name,
            trainingCaptions: fit.training.keys, trainingTargets: fit.training.items.map(\.target), trainingNext: fit.training.next,
            heldOutCaptions: fit.heldOut.keys, heldOutTargets: fit.heldOut.items.map(\.target), heldOutNext: fit.heldOut.next,
            adamStep: scorer.optimizer.step, rngState: fit.rng.state, labelsReceived: labelsReceived, trainSteps: fit.trainSteps, lastLoss: fit.lastLoss,
            queried: tracker.queried, answered: tracker.answered)
        let tensors = scorer.stateTensors()
        return RewardModelSnapshot { RewardModelState.encode(document, tensors: tensors) }
    }

    public func loadState(_ state: RewardModelState) throws {
        let d = try state.decode(Document.self, model: name)
        guard d.trainingCaptions.count == d.trainingTargets.count, d.heldOutCaptions.count == d.heldOutTargets.count else {
            throw RewardError.badState("classification state has mismatched caption and label counts")
        }
        let featurizer = scorer.featurizer
        let newTraining = try KeyedRing(capacity: configuration.maxLabels, keys: d.trainingCaptions,
                                        items: zip(d.trainingCaptions, d.trainingTargets).map { Example(target: $1, features: featurizer.features($0)) },
                                        next: d.trainingNext)
        let newHeldOut = try KeyedRing(capacity: configuration.maxHeldOutLabels, keys: d.heldOutCaptions,
                                       items: zip(d.heldOutCaptions, d.heldOutTargets).map { Example(target: $1, features: featurizer.features($0)) },
                                       next: d.heldOutNext)
        try scorer.loadState(state.tensorsByName, adamStep: d.adamStep)
        fit.restore(training: newTraining, heldOut: newHeldOut, rngState: d.rngState, trainSteps: d.trainSteps, lastLoss: d.lastLoss)
        labelsReceived = d.labelsReceived
        tracker = CaptionQueryTracker(maxCandidates: configuration.maxCandidates, maxPending: configuration.maxPendingQueries,
                                      retryAfter: Double(configuration.queryRetrySeconds))
        tracker.restore(queried: d.queried, answered: d.answered)
        cache.removeAll()
    }

    public var metrics: [RewardMetric: Double] {
        var m: [RewardMetric: Double] = [
            .labels: Double(labelsReceived),
            .coverage: tracker.coverage,
            .queriesRetried: Double(tracker.retried),
            .trainLabels: Double(fit.training.count),
            .heldOutLabels: Double(fit.heldOut.count),
            .trainSteps: Double(fit.trainSteps),
        ]
        if let a = heldOutAccuracy { m[.classifierAccuracy] = a }
        if let l = fit.lastLoss { m[.trainLoss] = Double(l) }
        return m
    }
}
