import YendorAnnotator
import YendorEnvironment
import YendorWire

/// Conversions between the wire's `AnnotationRequest`/`AnnotationResult` and the core's
/// `LabelRequest`/`LabelResult`, shared by the role and the client.
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

    /// What one wire request holds: items of one goal and one mode.
    struct WireGroup: Hashable {
        let goal: Goal
        let mode: AnnotationMode
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

extension Label {
    /// The label a wire code stands for in `mode` (`LabelOutcome.wireOutcome` writes them); nil for
    /// a code the mode does not have.
    init?(wireCode: UInt8, mode: AnnotationMode) {
        switch (mode, wireCode) {
        case (.classification, 1): self = .helpful
        case (.classification, 0): self = .notHelpful
        case (.ranking, 0): self = .first
        case (.ranking, 1): self = .second
        case (.ranking, 2): self = .tie
        default: return nil
        }
    }
}

extension AnnotationResult {
    /// The labeled entries of this message as the core's results (a remote annotator's answers, read
    /// by `AnnotatorClient.forEachAnswer`). Pending and failed entries, entries whose item does not
    /// fit the mode, and every entry of a message whose goal is not valid text are left out.
    var labeledResults: [LabelResult] {
        guard let goal = try? Goal(wireText: self.goal) else { return [] }
        return entries.compactMap { entry in
            guard case .label(let code) = entry.outcome, let label = Label(wireCode: code, mode: mode),
                  let request = LabelRequest(goal: goal, mode: mode, item: entry.item) else { return nil }
            return LabelResult(request: request, outcome: .labeled(label), rawResponse: "", latency: .zero, source: .labeler)
        }
    }
}
