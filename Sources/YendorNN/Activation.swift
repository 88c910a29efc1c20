/// An elementwise function a `Linear` or `Conv2D` layer applies to its own output.
///
/// Fusing the activation into the layer saves the separate activation layer's pass over
/// memory and its output buffer: the policy's conv outputs are ~10 MB per minibatch, so
/// the elementwise passes cost about as much as moving that memory.
public enum Activation: Sendable {
    /// No activation: the layer's output is its affine map.
    case identity
    /// ELU with α = 1 (see `ELU`).
    case elu

    /// The gradient with respect to the pre-activation, from the layer's activated `output`
    /// and the gradient `gradOutput` with respect to it; written into `buffer`. The identity
    /// passes `gradOutput` through untouched.
    func gradient(output: Tensor, gradOutput: Tensor, buffer: Tensor) -> Tensor {
        guard self == .elu else { return gradOutput }
        buffer.resize(output.shape)
        output.data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeBufferPointer { dy in
                buffer.data.withUnsafeMutableBufferPointer { d in
                    ELU.gradient(output: y.baseAddress!, gradOutput: dy.baseAddress!, into: d.baseAddress!, count: y.count, alpha: 1)
                }
            }
        }
        return buffer
    }
}
