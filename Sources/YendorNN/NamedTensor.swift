/// A named f32 array with a shape: the unit of weight publication and checkpoints.
public struct NamedTensor: Sendable, Equatable {
    /// Dotted parameter name, e.g. "core.0.weight".
    public var name: String
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Row-major values; `values.count == shape.reduce(1, *)`.
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// True when every value is finite (non-finite weights must never be published).
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }
}
