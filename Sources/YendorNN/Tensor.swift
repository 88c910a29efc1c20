/// A contiguous, row-major array of 32-bit floats with a shape.
///
/// A class, not a struct: layers own their output and gradient tensors and hand out
/// references, so a forward/backward pass reuses the same storage call after call
/// instead of allocating (storage is reallocated only when the element count changes).
public final class Tensor {
    /// Dimensions, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `data.count == shape.reduce(1, *)`.
    public var data: [Float]

    /// Creates a tensor of the given shape, zero-filled unless `data` is given.
    public init(shape: [Int], data: [Float]? = nil) {
        let count = shape.reduce(1, *)
        if let data { precondition(data.count == count, "Tensor data has \(data.count) elements, shape \(shape) needs \(count)") }
        self.shape = shape
        self.data = data ?? [Float](repeating: 0, count: count)
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Gives the tensor a new shape; the contents are unspecified afterwards unless the
    /// count is unchanged (then they are kept). Storage capacity is kept when shrinking, so
    /// alternating batch sizes (e.g. a full minibatch then a short last chunk) allocate
    /// only the first time the largest size is seen.
    public func resize(_ newShape: [Int]) {
        let count = newShape.reduce(1, *)
        data.resize(to: count)
        shape = newShape
    }

    /// Sets every element to zero without reallocating.
    public func zero() {
        data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

extension Tensor {
    /// The backward pass of an activation whose derivative is a function of its output (this
    /// tensor, as its forward pass left it): resizes `gradInput` and fills it with
    /// `body(y, dy, dx, count)`.
    func activationGradient(_ gradOutput: Tensor, into gradInput: Tensor,
                            _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        gradInput.resize(shape)
        data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeBufferPointer { dy in
                gradInput.data.withUnsafeMutableBufferPointer { dx in body(y.baseAddress!, dy.baseAddress!, dx.baseAddress!, y.count) }
            }
        }
        return gradInput
    }
}
