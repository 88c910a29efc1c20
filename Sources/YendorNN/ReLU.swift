/// Rectified linear unit: y = max(x, 0).
public final class ReLU: Layer {
    public var parameters: [Parameter] { [] }
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        output.resize(x.shape)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { y in
                for i in 0..<xp.count { y[i] = max(xp[i], 0) }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard input != nil else { preconditionFailure("ReLU.backward before forward") }
        // y > 0 exactly where x > 0.
        return output.activationGradient(gradOutput, into: gradInput) { y, dy, dx, count in
            for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : 0 }
        }
    }
}
