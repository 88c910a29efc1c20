import YendorWire
@_exported import enum YendorEnvironment.Goal

/// Conversions between the wire's `AnnotationRequest`/`AnnotationResult` and the core's
/// `LabelRequest`/`LabelResult`, shared by the role and the client. (`Goal` lives in
/// `YendorEnvironment`, so that tasks can declare theirs; it is re-exported here.)
extension Goal {
    /// `init(key:)` with the annotator's error type.
    static func parsed(key: String) throws(AnnotatorError) -> Goal {
        do { return try Goal(key: key) } catch { throw .invalidInput(error.message) }
    }
}

extension LabelerIdentity {
    /// `backend/model/prompt-version`, as in `AnnotationResult.labeler`.
    public var wireName: String { "\(backend)/\(model)/\(promptVersion)" }
}

extension LabelRequest {
    /// The request for one wire item; nil when the item does not match the mode.
    init?(goal: Goal, mode: AnnotationMode, item: AnnotationItem) {
        switch (mode, item) {
        case (.classification, .caption(let caption)): self = .classify(caption, goal: goal)
        case (.ranking, .pair(let first, let second)): self = .rank(first, second, goal: goal)
        default: return nil
        }
    }

    /// The wire's mode and item for this request.
    var wireItem: (mode: AnnotationMode, item: AnnotationItem) {
        switch task {
        case .classify(let caption): (.classification, .caption(caption))
        case .rank(let first, let second): (.ranking, .pair(first, second))
        }
    }
}

extension LabelOutcome {
    /// The wire's outcome: labels as numbers (classification 1 helpful / 0 not; ranking 0 first,
    /// 1 second, 2 tie), `unlabelable` as `unparsable`, every other error as `backend`.
    func wireOutcome(rawResponse: String) -> AnnotationResult.Outcome {
        switch self {
        case .labeled(let label):
            switch label {
            case .helpful: return .label(1)
            case .notHelpful: return .label(0)
            case .first: return .label(0)
            case .second: return .label(1)
            case .tie: return .label(2)
            }
        case .failed(let kind):
            let detail = rawResponse.isEmpty ? kind.rawValue : "\(kind.rawValue): \(rawResponse.prefix(200))"
            return .error(kind == .unlabelable ? .unparsable : .backend, detail)
        }
    }
}

extension LabelResult {
    /// This result as a one-entry `AnnotationResult`.
    func wireResult(requestID: UInt64, labeler: LabelerIdentity) -> AnnotationResult {
        let (mode, item) = request.wireItem
        return AnnotationResult(requestID: requestID, goal: request.goal.wireText, mode: mode, labeler: labeler.wireName,
                                entries: [.init(item: item, outcome: outcome.wireOutcome(rawResponse: rawResponse))])
    }
}
