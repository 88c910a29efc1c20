import YendorSupport
/// Fully connected layer: y = x·W + b, with x of shape [rows, inFeatures].
///
/// W is stored [inFeatures, outFeatures] (see `AffineMap`, which does the arithmetic).
public final class Linear: Layer {
    /// Number of input features per row.
    public let inFeatures: Int
    /// Number of output features per row.
    public let outFeatures: Int
    /// Weight, shape [inFeatures, outFeatures].
    public let weight: Parameter
    /// Bias, shape [outFeatures].
    public let bias: Parameter
    /// Applied to the affine output in the same pass (`.elu` replaces a separate `ELU` layer).
    public let activation: Activation
    public var parameters: [Parameter] { [weight, bias] }

    private let affine: AffineMap
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private let gradPreActivation = Tensor(shape: [0])

    /// Creates the layer with uniform(±gain/√inFeatures) weights and zero bias; `activation`
    /// is applied to x·W + b in the same pass.
    public init(name: String, inFeatures: Int, outFeatures: Int, gain: Float = 1,
                activation: Activation = .identity, rng: inout SplitMix64) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.activation = activation
        weight = Parameter(name: name + ".weight", shape: [inFeatures, outFeatures])
        bias = Parameter(name: name + ".bias", shape: [outFeatures])
        weight.initializeUniform(bound: gain / Float(inFeatures).squareRoot(), using: &rng)
        affine = AffineMap(weight: weight, bias: bias, activation: activation)
    }

    /// Multiply-adds per input row (for FLOP accounting).
    public var multiplyAddsPerRow: Int { inFeatures * outFeatures }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.count % inFeatures == 0, "Linear \(weight.name): input of \(x.count) elements is not a multiple of \(inFeatures)")
        let rows = x.count / inFeatures
        input = x
        output.resize([rows, outFeatures])
        affine.forward(x, rows: rows, into: output)
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let rows = x.count / inFeatures
        precondition(gradOutput.count == rows * outFeatures, "Linear \(weight.name): gradient size mismatch")
        gradInput.resize([rows, inFeatures])
        affine.backward(gradOutput, input: x, output: output, rows: rows, scratch: gradPreActivation, into: gradInput)
        return gradInput
    }
}
