import YendorSupport
/// A trainable weight array with its accumulated gradient.
///
/// Names are dotted paths ("core.0.weight") and are what checkpoints and weight
/// publication use to match tensors, so they must be unique within a network.
public final class Parameter {
    /// Unique dotted name within the owning network.
    public let name: String
    /// Dimensions of the weight array.
    public let shape: [Int]
    /// Current values, row-major.
    public var value: [Float]
    /// Gradient accumulated by `backward` calls since the last `zeroGradient()`.
    public var gradient: [Float]

    /// Creates a zero-initialised parameter.
    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
        let count = shape.reduce(1, *)
        value = [Float](repeating: 0, count: count)
        gradient = [Float](repeating: 0, count: count)
    }

    /// Number of scalar weights.
    public var count: Int { value.count }

    /// Clears the gradient (backward passes accumulate into it).
    public func zeroGradient() {
        gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Fills the values uniformly in [-bound, bound].
    public func initializeUniform(bound: Float, using rng: inout SplitMix64) {
        for i in 0..<value.count { value[i] = (rng.nextUnitFloat() * 2 - 1) * bound }
    }

    /// The parameter as a named tensor (for publication and checkpoints).
    public var namedTensor: NamedTensor { NamedTensor(name: name, shape: shape, values: value) }
}
