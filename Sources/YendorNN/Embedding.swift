import YendorSupport
/// Lookup table: index i → row i of a [vocabulary, dimension] table.
///
/// `forward` maps n indices to an [n, dimension] tensor; there is no input gradient
/// (indices are not differentiable), only the table's.
public final class Embedding: IndexLayer {
    /// Number of rows (valid indices are 0..<vocabulary).
    public let vocabulary: Int
    /// Width of each row.
    public let dimension: Int
    /// Table, shape [vocabulary, dimension].
    public let table: Parameter
    public var parameters: [Parameter] { [table] }

    private var indices: [Int32] = []
    private let output = Tensor(shape: [0])

    /// Creates the table with uniform(±scale) entries.
    public init(name: String, vocabulary: Int, dimension: Int, scale: Float = 1, rng: inout SplitMix64) {
        self.vocabulary = vocabulary
        self.dimension = dimension
        table = Parameter(name: name + ".table", shape: [vocabulary, dimension])
        table.initializeUniform(bound: scale, using: &rng)
    }

    /// Looks up every index; throws if one is out of range.
    public func forward(_ input: [Int32]) throws -> Tensor {
        for i in input where i < 0 || Int(i) >= vocabulary {
            throw NNError.indexOutOfRange(layer: table.name, index: Int(i), limit: vocabulary)
        }
        indices.removeAll(keepingCapacity: true)
        indices.append(contentsOf: input)
        output.resize([input.count, dimension])
        let d = dimension
        output.data.withUnsafeMutableBufferPointer { out in
            table.value.withUnsafeBufferPointer { t in
                for (n, i) in input.enumerated() {
                    (out.baseAddress! + n * d).update(from: t.baseAddress! + Int(i) * d, count: d)
                }
            }
        }
        return output
    }

    /// Adds the output gradient rows into the table rows they came from.
    public func backward(_ gradOutput: Tensor) {
        precondition(gradOutput.count == indices.count * dimension, "Embedding \(table.name): gradient size mismatch")
        let d = dimension
        gradOutput.data.withUnsafeBufferPointer { dy in
            table.gradient.withUnsafeMutableBufferPointer { g in
                for (n, i) in indices.enumerated() {
                    let src = dy.baseAddress! + n * d
                    let dst = g.baseAddress! + Int(i) * d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
        }
    }
}
