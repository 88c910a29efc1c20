import YendorSupport
/// An `Embedding` followed by a `Conv2D` over the embedded image, computed as one lookup: the
/// same function of the same parameters, at a small fraction of the conv's cost.
///
/// Each output pixel of the conv is the bias plus, for every kernel tap inside the image, the
/// embedding row of the id under that tap times the tap's [inChannels, outChannels] weight block.
/// That product depends only on the id and the tap, and a batch holds few distinct ids: at most the
/// vocabulary, and 56 NetHack glyphs in 1,056 crops of 9×9 (~86K cells) of random play. So `forward` computes
/// the product once per distinct id and tap (one sgemm per tap) and each pixel adds up its taps'
/// rows; `backward` adds each pixel's gradient onto its taps' rows and takes the weight and table
/// gradients from those few rows. Taps outside the image add nothing, as `Conv2D`'s zero padding.
/// The parameters are the embedding's table and the conv's weight and bias, used in place: the
/// two layers' own `forward`s are not called.
public final class EmbeddingConv2D: IndexLayer {
    /// The embedding whose table this layer reads and trains.
    public let embedding: Embedding
    /// The convolution whose geometry, weight, bias and activation this layer applies.
    public let convolution: Conv2D
    public var parameters: [Parameter] { embedding.parameters + convolution.parameters }

    /// Multiply-adds per image of the conv as defined (the network's nominal size, counted as
    /// `Conv2D` counts it); the lookup performs far fewer.
    public var multiplyAddsPerImage: Int { convolution.multiplyAddsPerImage }

    private var batch = 0
    /// Slot of each id in `ids` during a forward, by id; -1 for ids not in the batch.
    private var slotOfID: [Int32]
    /// The distinct ids of the last forward, in order of first appearance.
    private var ids: [Int32] = []
    /// The slot of every input cell of the last forward.
    private var cellSlots: [Int32] = []
    /// Embedding rows of `ids`, [ids, inChannels].
    private let rows = Tensor(shape: [0])
    /// Each id's row times each tap's weight block, [ids, taps, outChannels].
    private let products = Tensor(shape: [0])
    private let gradProducts = Tensor(shape: [0])
    private let gradRows = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let gradPreActivation = Tensor(shape: [0])

    /// Fuses `embedding` with the `convolution` that reads its output.
    public init(embedding: Embedding, convolution: Conv2D) {
        precondition(embedding.dimension == convolution.inChannels,
                     "EmbeddingConv2D: embedding width \(embedding.dimension) is not the conv's \(convolution.inChannels) input channels")
        self.embedding = embedding
        self.convolution = convolution
        slotOfID = [Int32](repeating: -1, count: embedding.vocabulary)
    }

    private var taps: Int { convolution.kernel * convolution.kernel }

    /// Convolves the embedded images given as ids, NHWC with one id per cell; throws if an id is
    /// out of the embedding's range.
    public func forward(_ input: [Int32]) throws -> Tensor {
        let conv = convolution, imageSize = conv.height * conv.width
        precondition(input.count % imageSize == 0, "EmbeddingConv2D \(conv.weight.name): \(input.count) ids are not a multiple of \(imageSize)")
        try assignSlots(input)
        batch = input.count / imageSize
        let d = embedding.dimension, o = conv.outChannels, taps = taps, distinct = ids.count
        rows.resize([distinct, d])
        products.resize([distinct, taps, o])
        output.resize([batch, conv.outHeight, conv.outWidth, o])
        rows.data.withUnsafeMutableBufferPointer { r in
            embedding.table.value.withUnsafeBufferPointer { table in
                for (slot, id) in ids.enumerated() {
                    (r.baseAddress! + slot * d).update(from: table.baseAddress! + Int(id) * d, count: d)
                }
            }
        }
        rows.data.withUnsafeBufferPointer { r in
            conv.weight.value.withUnsafeBufferPointer { w in
                products.data.withUnsafeMutableBufferPointer { p in
                    // The conv weight's rows t·d..<(t+1)·d are tap t's block (im2col order).
                    for t in 0..<taps {
                        BLAS.gemm(m: distinct, n: o, k: d, a: r.baseAddress!, lda: d, b: w.baseAddress! + t * d * o, ldb: o,
                                  beta: 0, c: p.baseAddress! + t * o, ldc: taps * o)
                    }
                }
            }
        }
        output.data.withUnsafeMutableBufferPointer { out in
            let y = out.baseAddress!
            conv.bias.value.withUnsafeBufferPointer { b in
                products.data.withUnsafeBufferPointer { p in
                    let bias = b.baseAddress!, rowsOfProducts = p.baseAddress!
                    // Each pixel sums its taps' rows in registers, 8 channels at a time, and is written once.
                    forEachPixel { pixel, tapRows in
                        let dst = y + pixel * o
                        var j = 0
                        while j + Lanes.scalarCount <= o {
                            var sum = Lanes.load(bias + j)
                            for row in tapRows { sum += Lanes.load(rowsOfProducts + row * o + j) }
                            sum.store(to: dst + j)
                            j += Lanes.scalarCount
                        }
                        while j < o {
                            var sum = bias[j]
                            for row in tapRows { sum += rowsOfProducts[row * o + j] }
                            dst[j] = sum
                            j += 1
                        }
                    }
                }
            }
            if conv.activation == .elu { ELU.activate(y, count: out.count, alpha: 1) }
        }
        return output
    }

    /// Adds the gradients of the table, weight and bias for `gradOutput`, the gradient with
    /// respect to the last forward's output.
    public func backward(_ gradOutput: Tensor) {
        precondition(gradOutput.count == output.count, "EmbeddingConv2D \(convolution.weight.name): gradient size mismatch")
        let conv = convolution, d = embedding.dimension, o = conv.outChannels, taps = taps, distinct = ids.count
        let gradPre = conv.activation.gradient(output: output, gradOutput: gradOutput, buffer: gradPreActivation)
        gradProducts.resize([distinct, taps, o])
        gradProducts.zero()
        gradRows.resize([distinct, d])
        gradPre.data.withUnsafeBufferPointer { dyBuffer in
            let dy = dyBuffer.baseAddress!
            conv.bias.gradient.withUnsafeMutableBufferPointer { db in
                for pixel in 0..<(dyBuffer.count / o) {
                    for j in 0..<o { db[j] += dy[pixel * o + j] }
                }
            }
            gradProducts.data.withUnsafeMutableBufferPointer { gp in
                let rowsOfGradients = gp.baseAddress!
                forEachPixel { pixel, tapRows in
                    let src = dy + pixel * o
                    var j = 0
                    while j + Lanes.scalarCount <= o {
                        let g = Lanes.load(src + j)
                        for row in tapRows {
                            let dst = rowsOfGradients + row * o + j
                            (Lanes.load(dst) + g).store(to: dst)
                        }
                        j += Lanes.scalarCount
                    }
                    while j < o {
                        for row in tapRows { rowsOfGradients[row * o + j] += src[j] }
                        j += 1
                    }
                }
            }
        }
        gradProducts.data.withUnsafeBufferPointer { gp in
            rows.data.withUnsafeBufferPointer { r in
                conv.weight.value.withUnsafeBufferPointer { w in
                    conv.weight.gradient.withUnsafeMutableBufferPointer { dw in
                        gradRows.data.withUnsafeMutableBufferPointer { dr in
                            for t in 0..<taps {
                                // dW_t += rowsᵀ · dProducts_t
                                BLAS.gemm(transposeA: true, m: d, n: o, k: distinct, a: r.baseAddress!, lda: d,
                                          b: gp.baseAddress! + t * o, ldb: taps * o, beta: 1, c: dw.baseAddress! + t * d * o, ldc: o)
                                // dRows += dProducts_t · W_tᵀ
                                BLAS.gemm(transposeB: true, m: distinct, n: d, k: o, a: gp.baseAddress! + t * o, lda: taps * o,
                                          b: w.baseAddress! + t * d * o, ldb: o, beta: t == 0 ? 0 : 1, c: dr.baseAddress!, ldc: d)
                            }
                        }
                    }
                }
            }
        }
        gradRows.data.withUnsafeBufferPointer { dr in
            embedding.table.gradient.withUnsafeMutableBufferPointer { g in
                for (slot, id) in ids.enumerated() {
                    let dst = g.baseAddress! + Int(id) * d, src = dr.baseAddress! + slot * d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
        }
    }

    /// Gives every input cell the slot of its id, collecting the distinct ids in `ids`. Every id is
    /// checked before any state changes, so a rejected batch leaves the last forward intact.
    private func assignSlots(_ input: [Int32]) throws {
        let vocabulary = embedding.vocabulary
        for id in input where id < 0 || Int(id) >= vocabulary {
            throw NNError.indexOutOfRange(layer: embedding.table.name, index: Int(id), limit: vocabulary)
        }
        for id in ids { slotOfID[Int(id)] = -1 }
        ids.removeAll(keepingCapacity: true)
        cellSlots.removeAll(keepingCapacity: true)
        cellSlots.reserveCapacity(input.count)
        for id in input {
            var slot = slotOfID[Int(id)]
            if slot < 0 {
                slot = Int32(ids.count)
                slotOfID[Int(id)] = slot
                ids.append(id)
            }
            cellSlots.append(slot)
        }
    }

    /// Visits every output pixel with the rows of `products` (slot · taps + tap) of its taps that lie
    /// inside the image, in tap order: `pixel` is the output row.
    @inline(__always)
    private func forEachPixel(_ body: (_ pixel: Int, _ tapRows: UnsafeBufferPointer<Int>) -> Void) {
        let c = convolution, k = c.kernel, pad = c.padding, h = c.height, w = c.width, taps = taps
        cellSlots.withUnsafeBufferPointer { slots in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: taps) { rows in
                var pixel = 0
                for b in 0..<batch {
                    let image = slots.baseAddress! + b * h * w
                    for oy in 0..<c.outHeight {
                        for ox in 0..<c.outWidth {
                            var count = 0
                            for ky in 0..<k {
                                let iy = oy + ky - pad
                                guard iy >= 0 && iy < h else { continue }
                                for kx in 0..<k {
                                    let ix = ox + kx - pad
                                    guard ix >= 0 && ix < w else { continue }
                                    rows[count] = Int(image[iy * w + ix]) * taps + ky * k + kx
                                    count += 1
                                }
                            }
                            body(pixel, UnsafeBufferPointer(rebasing: rows[..<count]))
                            pixel += 1
                        }
                    }
                }
            }
        }
    }
}

/// Eight channels at a time (two SSE registers at Swift's baseline).
private typealias Lanes = SIMD8<Float>

private extension SIMD8<Float> {
    static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    func store(to p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
}
