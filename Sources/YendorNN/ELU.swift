import Foundation

/// Exponential linear unit: y = x for x > 0, α(eˣ − 1) otherwise.
///
/// The default activation of the policy: smooth below zero, so no dead units.
public final class ELU: Layer {
    /// Saturation value for very negative inputs is −alpha.
    public let alpha: Float
    public var parameters: [Parameter] { [] }
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init(alpha: Float = 1) { self.alpha = alpha }

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        output.resize(x.shape)
        let a = alpha
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { y in
                for i in 0..<xp.count { let v = xp[i]; y[i] = v > 0 ? v : a * (expf(v) - 1) }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("ELU.backward before forward") }
        gradInput.resize(x.shape)
        let a = alpha
        // dy/dx = 1 above zero, y + α below (reuses the stored output instead of another exp).
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeBufferPointer { y in
                gradOutput.data.withUnsafeBufferPointer { dy in
                    gradInput.data.withUnsafeMutableBufferPointer { dx in
                        for i in 0..<xp.count { dx[i] = xp[i] > 0 ? dy[i] : dy[i] * (y[i] + a) }
                    }
                }
            }
        }
        return gradInput
    }
}
