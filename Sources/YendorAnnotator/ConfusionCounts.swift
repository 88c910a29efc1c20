/// True and false positives and negatives of a labeler's "helpful" verdicts against hand
/// labels, either per distinct caption or weighted by how often each caption occurs.
public struct ConfusionCounts: Hashable, Sendable, Codable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0
    public var trueNegatives = 0

    public init(truePositives: Int = 0, falsePositives: Int = 0, falseNegatives: Int = 0, trueNegatives: Int = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
        self.trueNegatives = trueNegatives
    }

    /// Adds one verdict with its weight (1 for distinct counts, the caption's count otherwise).
    public mutating func add(predicted: Bool, actual: Bool, weight: Int = 1) {
        switch (predicted, actual) {
        case (true, true): truePositives += weight
        case (true, false): falsePositives += weight
        case (false, true): falseNegatives += weight
        case (false, false): trueNegatives += weight
        }
    }

    /// TP / (TP + FP); nil when the labeler called nothing helpful.
    public var precision: Double? {
        let called = truePositives + falsePositives
        return called == 0 ? nil : Double(truePositives) / Double(called)
    }

    /// TP / (TP + FN); nil when the hand labels call nothing helpful.
    public var recall: Double? {
        let relevant = truePositives + falseNegatives
        return relevant == 0 ? nil : Double(truePositives) / Double(relevant)
    }

    public var total: Int { truePositives + falsePositives + falseNegatives + trueNegatives }
}
