/// A differentiable layer over flat float tensors.
///
/// `forward` returns a tensor the layer owns (valid until the next `forward`); `backward`
/// takes the gradient of the loss with respect to that output, adds parameter gradients
/// into `Parameter.gradient`, and returns the gradient with respect to the input (also
/// layer-owned). A `backward` must follow the `forward` it differentiates, and the input
/// given to `forward` must not be modified in between (layers keep a reference to it).
public protocol Layer: AnyObject {
    /// Trainable parameters (empty for activations).
    var parameters: [Parameter] { get }
    /// Computes the output for `input`.
    func forward(_ input: Tensor) -> Tensor
    /// Back-propagates `gradOutput`; returns the gradient with respect to the input.
    func backward(_ gradOutput: Tensor) -> Tensor
}
