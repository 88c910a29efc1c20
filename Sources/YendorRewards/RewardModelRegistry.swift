/// Builds reward models by name: `none`, `retrieval`, `classification`, `ranking`.
public enum RewardModelRegistry {
    /// Every model's options, so one configuration file can hold them all.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Which model to build (one of `RewardModelRegistry.names`).
        public var model = "none"
        /// Options of the `retrieval` model.
        public var retrieval = RetrievalRewardModel.Configuration()
        /// Options of the `classification` model.
        public var classification = ClassificationRewardModel.Configuration()
        /// Options of the `ranking` model.
        public var ranking = RankingRewardModel.Configuration()
        /// The count scaling r / N^β applied to every model's reward.
        public var countScaling = CountScaledIntrinsicReward.Configuration()

        public init() {}

        /// Checks the model name and the chosen model's options (plus the count scaling).
        public func validate() throws {
            guard RewardModelRegistry.names.contains(model) else {
                throw RewardError.unknownModel(name: model, known: RewardModelRegistry.names)
            }
            switch model {
            case "retrieval": try retrieval.validate()
            case "classification": try classification.validate()
            case "ranking": try ranking.validate()
            default: break
            }
            try countScaling.validate()
        }
    }

    /// The known model names.
    public static let names = ["none", "retrieval", "classification", "ranking"]

    /// The model `configuration.model` names, built from its options.
    public static func makeModel(_ configuration: Configuration) throws -> any RewardModel {
        try configuration.validate()
        switch configuration.model {
        case "retrieval": return try RetrievalRewardModel(configuration: configuration.retrieval)
        case "classification": return try ClassificationRewardModel(configuration: configuration.classification)
        case "ranking": return try RankingRewardModel(configuration: configuration.ranking)
        default: return NoRewardModel()
        }
    }

    /// Shorthand: the model called `name` with default options.
    public static func makeModel(named name: String) throws -> any RewardModel {
        var c = Configuration()
        c.model = name
        return try makeModel(c)
    }
}
