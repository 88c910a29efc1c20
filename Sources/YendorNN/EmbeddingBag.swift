import YendorSupport
/// Mean of embedding rows per bag: bag b covers `indices[offsets[b]..<offsets[b+1]]`.
///
/// Used for hashed bag-of-words captions. An empty bag gives a zero vector.
public final class EmbeddingBag {
    /// The rows the bags average: an `Embedding`'s table (made and initialised the same way).
    private let rows: Embedding
    /// Number of rows (hash buckets).
    public var vocabulary: Int { rows.vocabulary }
    /// Width of each row.
    public var dimension: Int { rows.dimension }
    /// Table, shape [vocabulary, dimension].
    public var table: Parameter { rows.table }
    public var parameters: [Parameter] { [table] }

    private var indices: [Int32] = []
    private var offsets: [Int32] = []
    private let output = Tensor(shape: [0])

    /// Creates the table with uniform(±scale) entries.
    public init(name: String, vocabulary: Int, dimension: Int, scale: Float = 1, rng: inout SplitMix64) {
        rows = Embedding(name: name, vocabulary: vocabulary, dimension: dimension, scale: scale, rng: &rng)
    }

    /// Averages each bag's rows. `offsets` has bags+1 non-decreasing entries starting at 0
    /// and ending at `indices.count`.
    public func forward(indices input: [Int32], offsets bagOffsets: [Int32]) throws -> Tensor {
        guard let first = bagOffsets.first, first == 0, Int(bagOffsets.last!) == input.count else {
            throw NNError.indexOutOfRange(layer: table.name, index: Int(bagOffsets.last ?? -1), limit: input.count)
        }
        for i in input where i < 0 || Int(i) >= vocabulary {
            throw NNError.indexOutOfRange(layer: table.name, index: Int(i), limit: vocabulary)
        }
        for b in 1..<bagOffsets.count where bagOffsets[b] < bagOffsets[b - 1] {
            throw NNError.indexOutOfRange(layer: table.name + " offsets", index: Int(bagOffsets[b]), limit: Int(bagOffsets[b - 1]))
        }
        indices.removeAll(keepingCapacity: true)
        indices.append(contentsOf: input)
        offsets.removeAll(keepingCapacity: true)
        offsets.append(contentsOf: bagOffsets)
        let bags = bagOffsets.count - 1
        output.resize([bags, dimension])
        output.zero()
        let d = dimension
        output.data.withUnsafeMutableBufferPointer { out in
            table.value.withUnsafeBufferPointer { t in
                forEachMember { bag, row, scale in Self.add(t.baseAddress! + row * d, scaledBy: scale, to: out.baseAddress! + bag * d, count: d) }
            }
        }
        return output
    }

    /// Visits every member of every bag of the last `forward`: its bag, its table row, and the
    /// bag's weight 1/size (the mean).
    @inline(__always)
    private func forEachMember(_ body: (_ bag: Int, _ row: Int, _ scale: Float) -> Void) {
        for b in 0..<(offsets.count - 1) {
            let lo = Int(offsets[b]), hi = Int(offsets[b + 1])
            let scale = 1 / Float(max(hi - lo, 1))
            for k in lo..<hi { body(b, Int(indices[k]), scale) }
        }
    }

    /// dst += scale · src over `count` floats.
    @inline(__always)
    private static func add(_ src: UnsafePointer<Float>, scaledBy scale: Float, to dst: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { dst[j] += src[j] * scale }
    }

    /// Spreads each bag's output gradient (divided by the bag size) onto its rows.
    public func backward(_ gradOutput: Tensor) {
        let bags = offsets.count - 1
        precondition(gradOutput.count == bags * dimension, "EmbeddingBag \(table.name): gradient size mismatch")
        let d = dimension
        gradOutput.data.withUnsafeBufferPointer { dy in
            table.gradient.withUnsafeMutableBufferPointer { g in
                forEachMember { bag, row, scale in Self.add(dy.baseAddress! + bag * d, scaledBy: scale, to: g.baseAddress! + row * d, count: d) }
            }
        }
    }
}
