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
}
