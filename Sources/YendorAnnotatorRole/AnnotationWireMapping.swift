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
    /// What one wire request holds: items of one goal and one mode.
    struct WireGroup: Hashable {
        let goal: Goal
        let mode: AnnotationMode

        /// `requests` as wire requests' contents: their items by goal and mode, the groups in the
        /// order each first appears (what the client sends, resends, and the server's drop notices).
        static func grouping(_ requests: some Sequence<LabelRequest>) -> [(group: WireGroup, items: [LabelTask])] {
            var items: [WireGroup: [LabelTask]] = [:], order: [WireGroup] = []
            for request in requests {
                let group = WireGroup(goal: request.goal, mode: request.task.mode)
                if items[group] == nil { order.append(group) }
                items[group, default: []].append(request.task)
            }
            return order.map { ($0, items[$0]!) }
        }
    }
}

extension LabelOutcome {
    /// The wire's outcome: `unlabelable` as `unparsable`, every other error as `backend`.
    func wireOutcome(rawResponse: String) -> AnnotationResult.Outcome {
        switch self {
        case .labeled(let label):
            return .label(label)
        case .failed(let kind):
            let detail = rawResponse.isEmpty ? kind.rawValue : "\(kind.rawValue): \(rawResponse.prefix(200))"
            return .error(kind == .unlabelable ? .unparsable : .backend, detail)
        }
    }
}

extension LabelResult {
    /// This result as a one-entry `AnnotationResult`.
    func wireResult(requestID: UInt64, labeler: LabelerIdentity) -> AnnotationResult {
        AnnotationResult(requestID: requestID, goal: request.goal.wireText, mode: request.task.mode, labeler: labeler.wireName,
                         entries: [.init(item: request.task, outcome: outcome.wireOutcome(rawResponse: answer.rawResponse))])
    }
}

extension AnnotationResult {
    /// The goal this message answers and its labeled entries (a remote annotator's answers, read
    /// by `AnnotatorClient.forEachAnswer`); nil when the goal is not valid text. Pending and failed
    /// entries, and items or labels of another mode than the message's (a decoded message has none;
    /// one built in memory may), are left out.
    var labeledTasks: (goal: Goal, tasks: [LabeledTask])? {
        guard let goal = try? Goal(wireText: self.goal) else { return nil }
        return (goal, entries.compactMap { entry in
            guard case .label(let label) = entry.outcome, entry.item.mode == mode, label.mode == mode else { return nil }
            return LabeledTask(task: entry.item, label: label)
        })
    }
}
