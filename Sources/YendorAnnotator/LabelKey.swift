/// The full identity of a label: who labeled what, for which goal.
public struct LabelKey: Hashable, Sendable {
    public var labeler: LabelerIdentity
    public var request: LabelRequest
}
