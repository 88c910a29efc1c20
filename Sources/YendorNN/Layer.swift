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

/// A layer whose input is a list of table indices (`Embedding`, `EmbeddingConv2D`): indices are
/// not differentiable, so `backward` only adds parameter gradients.
public protocol IndexLayer: AnyObject {
    /// Trainable parameters.
    var parameters: [Parameter] { get }
    /// Computes the output for `indices`; throws if one is out of range.
    func forward(_ indices: [Int32]) throws -> Tensor
    /// Adds the parameter gradients for `gradOutput`, the gradient with respect to the last output.
    func backward(_ gradOutput: Tensor)
}
