import YendorSupport
import YendorWire
/// ONI-Retrieval: a table caption → label. Helpful captions earn 1, everything else
/// (not helpful, or not labeled yet) earns 0. No generalisation: a caption is rewarded
/// only once the annotator has labeled that exact string.
public final class RetrievalRewardModel: RewardModel {
    public struct Configuration: Sendable, Codable, Equatable {
        /// Most labels kept; when full, the oldest label is forgotten (and its caption
        /// may be queried again).
        public var maxLabels = 1_000_000
        /// Most unlabeled captions waiting to be queried; new ones are dropped while
        /// full (they are offered again the next time they are seen).
        public var maxCandidates = 10_000
        /// Most queries awaiting an answer; when full, the oldest is forgotten.
        public var maxPendingQueries = 10_000
        /// Seconds a query may go unanswered before it is forgotten and asked again when seen
        /// (an annotator may drop it without a word that reaches the model: `PendingQueries`).
        public var queryRetrySeconds: Float = 60

        public init() {}

        /// Throws naming the first field out of range.
        public func validate() throws {
            try RewardValidation.positive(maxLabels, "retrieval.maxLabels")
            try RewardValidation.positive(maxCandidates, "retrieval.maxCandidates")
            try RewardValidation.positive(maxPendingQueries, "retrieval.maxPendingQueries")
            try RewardValidation.positive(queryRetrySeconds, "retrieval.queryRetrySeconds")
        }
    }

    public let configuration: Configuration
    public var name: String { "retrieval" }

    private var labels: [String: Bool] = [:]
    /// The helpful ones among `labels`, kept as they change: counting them for the metrics after
    /// every update cost a pass over up to a million labels.
    private var helpfulCount = 0
    private var labelOrder: BoundedOrderedSet<String>
    private var tracker: CaptionQueryTracker
    private var labelsReceived = 0

    public init(configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
        labelOrder = BoundedOrderedSet(capacity: configuration.maxLabels)
        tracker = CaptionQueryTracker(maxCandidates: configuration.maxCandidates, maxPending: configuration.maxPendingQueries,
                                      retryAfter: Double(configuration.queryRetrySeconds))
    }

    public func observe(captions: [String], captionIndex: [Int32]) {
        var used = [Bool](repeating: false, count: captions.count)
        for i in captionIndex { used[Int(i)] = true }
        for (k, caption) in captions.enumerated() where used[k] {
            tracker.noteSeen(caption, labeled: labels[caption] != nil)
        }
    }

    public func observe(_ answer: LabeledTask) {
        guard let (caption, helpful) = answer.classification else { return }
        labelsReceived += 1
        tracker.noteLabeled(caption)
        set(caption, helpful: helpful)
    }

    /// Labels `caption`, forgetting the oldest label when full.
    private func set(_ caption: String, helpful: Bool) {
        if labels[caption] == nil, let evicted = labelOrder.insert(caption), let gone = labels.removeValue(forKey: evicted), gone {
            helpfulCount -= 1
        }
        if labels.updateValue(helpful, forKey: caption) == true { helpfulCount -= 1 }
        if helpful { helpfulCount += 1 }
    }

    public func reward(for caption: String) -> Float { labels[caption] == true ? 1 : 0 }

    public func isLabeled(_ caption: String) -> Bool { labels[caption] != nil }

    public func captionsWanted(limit: Int) -> [LabelTask] {
        tracker.take(limit: limit, isLabeled: { labels[$0] != nil }).map { .classify(caption: $0) }
    }

    public func trainStep(maxSteps: Int) -> Int { 0 }

    private struct Document: Codable, Sendable {
        var model: String
        var captions: [String]
        var helpful: [Bool]
        var labelsReceived: Int
        var queried: Int
        var answered: Int
    }

    /// Copies of the table (shared until the next label changes it, which then pays one copy)
    /// with the work of listing and encoding a million labels left to `state()`.
    public func snapshot() -> RewardModelSnapshot {
        let name = name, order = labelOrder, labels = labels
        let counters = (received: labelsReceived, queried: tracker.queried, answered: tracker.answered)
        return RewardModelSnapshot {
            let captions = order.elements
            let document = Document(model: name, captions: captions, helpful: captions.map { labels[$0] ?? false },
                                    labelsReceived: counters.received, queried: counters.queried, answered: counters.answered)
            return RewardModelState.encode(document, tensors: [])
        }
    }

    public func loadState(_ state: RewardModelState) throws {
        let document = try state.decode(Document.self, model: name)
        guard document.captions.count == document.helpful.count else {
            throw RewardError.badState("retrieval state has \(document.captions.count) captions but \(document.helpful.count) labels")
        }
        labels = [:]
        helpfulCount = 0
        labelOrder = BoundedOrderedSet(capacity: configuration.maxLabels)
        for (caption, helpful) in zip(document.captions, document.helpful) { set(caption, helpful: helpful) }
        labelsReceived = document.labelsReceived
        tracker = CaptionQueryTracker(maxCandidates: configuration.maxCandidates, maxPending: configuration.maxPendingQueries,
                                      retryAfter: Double(configuration.queryRetrySeconds))
        tracker.restore(queried: document.queried, answered: document.answered)
    }

    public var metrics: [RewardMetric: Double] {
        [
            .labels: Double(labelsReceived),
            .labeledCaptions: Double(labels.count),
            .coverage: tracker.coverage,
            .queriesRetried: Double(tracker.retried),
            .helpfulFraction: labels.isEmpty ? 0 : Double(helpfulCount) / Double(labels.count),
        ]
    }
}
