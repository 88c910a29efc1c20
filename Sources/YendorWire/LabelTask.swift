/// What a label answers: one caption to classify, or an ordered pair of captions to rank. The one
/// name for the question everywhere: reward models ask it, the annotator answers it, the wire
/// carries it (as an `AnnotationRequest` item).
public enum LabelTask: Hashable, Sendable {
    /// Is this caption helpful for the goal?
    case classify(caption: String)
    /// Which of the two captions shows more progress towards the goal? Order matters: (a, b) and
    /// (b, a) are different questions, because LLMs have position bias.
    case rank(first: String, second: String)

    /// The way ONI asks this question.
    public var mode: AnnotationMode {
        switch self {
        case .classify: .classification
        case .rank: .ranking
        }
    }
}

extension LabelTask {
    func encode(into w: inout ByteWriter) {
        switch self {
        case .classify(let caption): w.write(caption)
        case .rank(let first, let second):
            w.write(first)
            w.write(second)
        }
    }

    /// Reads item `index` of a message of `mode`: the mode says which kind of task it is.
    static func read(from r: inout ByteReader, mode: AnnotationMode, index: Int) throws -> LabelTask {
        switch mode {
        case .classification: return .classify(caption: try r.readString("item[\(index)]"))
        case .ranking: return .rank(first: try r.readString("item[\(index)].first"), second: try r.readString("item[\(index)].second"))
        }
    }
}
