/// The outcome for one item.
public enum LabelOutcome: Hashable, Sendable {
    case labeled(Label)
    case failed(LabelErrorKind)

    public var label: Label? {
        if case .labeled(let label) = self { return label }
        return nil
    }
}
