/// The reward models a run can name (`reward.model`, `--reward`).
public enum RewardModelKind: String, Sendable, Codable, CaseIterable {
    /// No intrinsic reward: extrinsic only.
    case none
    /// ONI-retrieval: a table of labeled captions.
    case retrieval
    /// ONI-classification: a classifier trained on labeled captions.
    case classification
    /// ONI-ranking: a reward trained on pairwise preferences.
    case ranking
}

/// Builds reward models by kind: `none`, `retrieval`, `classification`, `ranking`.
public enum RewardModelRegistry {
    /// Every model's options, so one configuration file can hold them all.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Which model to build.
        public var model = RewardModelKind.none
        /// Options of the `retrieval` model.
        public var retrieval = RetrievalRewardModel.Configuration()
        /// Options of the `classification` model.
        public var classification = ClassificationRewardModel.Configuration()
        /// Options of the `ranking` model.
        public var ranking = RankingRewardModel.Configuration()
        /// The count scaling r / N^β applied to every model's reward.
        public var countScaling = CountScaledIntrinsicReward.Configuration()

        public init() {}

        /// Seconds a label query may go unanswered before it is asked again, for every model.
        public var queryRetrySeconds: Float {
            get { classification.queryRetrySeconds }
            set {
                retrieval.queryRetrySeconds = newValue
                classification.queryRetrySeconds = newValue
                ranking.queryRetrySeconds = newValue
            }
        }

        /// Checks the chosen model's options (plus the count scaling).
        public func validate() throws {
            switch model {
            case .retrieval: try retrieval.validate()
            case .classification: try classification.validate()
            case .ranking: try ranking.validate()
            case .none: break
            }
            try countScaling.validate()
        }
    }

    /// The known model names.
    public static let names = RewardModelKind.allCases.map(\.rawValue)

    /// The model `configuration.model` names, built from its options.
    public static func makeModel(_ configuration: Configuration) throws -> any RewardModel {
        try configuration.validate()
        switch configuration.model {
        case .retrieval: return try RetrievalRewardModel(configuration: configuration.retrieval)
        case .classification: return try ClassificationRewardModel(configuration: configuration.classification)
        case .ranking: return try RankingRewardModel(configuration: configuration.ranking)
        case .none: return NoRewardModel()
        }
    }

    /// Shorthand: the model called `name` with default options.
    public static func makeModel(named name: String) throws -> any RewardModel {
        guard let kind = RewardModelKind(rawValue: name) else { throw RewardError.unknownModel(name: name, known: names) }
        var c = Configuration()
        c.model = kind
        return try makeModel(c)
    }
}
