import YendorSupport
/// 2-D convolution, stride 1, zero padding, over channels-last (NHWC) images.
///
/// Implemented as im2col + one sgemm: each output pixel's receptive field
/// (kernel×kernel×inChannels values, contiguous per kernel tap in NHWC) becomes a row,
/// and the weight is a [kernel·kernel·inChannels, outChannels] matrix. The output is
/// NHWC too, so a following `Linear` can read it as a flattened [batch, H·W·C] matrix.
public final class Conv2D: Layer {
    /// Input height.
    public let height: Int
    /// Input width.
    public let width: Int
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Square kernel side.
    public let kernel: Int
    /// Zero padding on every side.
    public let padding: Int
    /// Weight, shape [kernel·kernel·inChannels, outChannels].
    public let weight: Parameter
    /// Bias, shape [outChannels].
    public let bias: Parameter
    /// Applied to the affine output in the same pass (`.elu` replaces a separate `ELU` layer).
    public let activation: Activation
    public var parameters: [Parameter] { [weight, bias] }

    /// Output height.
    public var outHeight: Int { height + 2 * padding - kernel + 1 }
    /// Output width.
    public var outWidth: Int { width + 2 * padding - kernel + 1 }
    private var patchSize: Int { kernel * kernel * inChannels }

    /// The affine map over patches: im2col rows times the weight, plus the bias.
    private let affine: AffineMap
    private var batch = 0
    private let columns = Tensor(shape: [0])
    private let gradColumns = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private let gradPreActivation = Tensor(shape: [0])

    /// Creates the layer with uniform(±gain/√fanIn) weights and zero bias.
    public init(name: String, height: Int, width: Int, inChannels: Int, outChannels: Int,
                kernel: Int, padding: Int, gain: Float = 1, activation: Activation = .identity, rng: inout SplitMix64) {
        precondition(kernel >= 1 && padding >= 0 && height + 2 * padding >= kernel && width + 2 * padding >= kernel,
                     "Conv2D \(name): kernel \(kernel) with padding \(padding) does not fit \(height)x\(width)")
        self.height = height
        self.width = width
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.padding = padding
        self.activation = activation
        weight = Parameter(name: name + ".weight", shape: [kernel * kernel * inChannels, outChannels])
        bias = Parameter(name: name + ".bias", shape: [outChannels])
        weight.initializeUniform(bound: gain / Float(kernel * kernel * inChannels).squareRoot(), using: &rng)
        affine = AffineMap(weight: weight, bias: bias, activation: activation)
    }

    /// Multiply-adds per image (for FLOP accounting).
    public var multiplyAddsPerImage: Int { outHeight * outWidth * patchSize * outChannels }

    public func forward(_ x: Tensor) -> Tensor {
        let imageSize = height * width * inChannels
        precondition(x.count % imageSize == 0, "Conv2D \(weight.name): input of \(x.count) elements is not a multiple of \(imageSize)")
        batch = x.count / imageSize
        let rows = batch * outHeight * outWidth
        columns.resize([rows, patchSize])
        output.resize([batch, outHeight, outWidth, outChannels])
        x.data.withUnsafeBufferPointer { xp in
            columns.data.withUnsafeMutableBufferPointer { cols in imageToColumns(xp.baseAddress!, cols.baseAddress!) }
        }
        affine.forward(columns, rows: rows, into: output)
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let rows = batch * outHeight * outWidth
        precondition(gradOutput.count == rows * outChannels, "Conv2D \(weight.name): gradient size mismatch")
        gradColumns.resize([rows, patchSize])
        gradInput.resize([batch, height, width, inChannels])
        affine.backward(gradOutput, input: columns, output: output, rows: rows, scratch: gradPreActivation, into: gradColumns)
        gradInput.zero()
        gradColumns.data.withUnsafeBufferPointer { dc in
            gradInput.data.withUnsafeMutableBufferPointer { dx in columnsToImage(dc.baseAddress!, dx.baseAddress!) }
        }
        return gradInput
    }

    /// The kernel columns kx whose input column ox + kx − padding lies inside the image:
    /// in NHWC those taps of one kernel row are one contiguous run of the input.
    @inline(__always)
    private func validTaps(_ ox: Int) -> (lo: Int, hi: Int) {
        let lo = min(max(0, padding - ox), kernel)
        return (lo, max(lo, min(kernel, width + padding - ox)))
    }

    /// Visits each kernel row of each output pixel's receptive field, in the order of the columns
    /// buffer: `column` is that kernel row's offset in the columns, `pixel` the offset in the input
    /// batch of its first valid tap `lo` (nil when the row lies outside the image or has no valid
    /// tap). Taps lo..<hi are inside the image: in NHWC one contiguous run.
    @inline(__always)
    private func forEachKernelRow(_ body: (_ column: Int, _ pixel: Int?, _ lo: Int, _ hi: Int) -> Void) {
        let c = inChannels, run = kernel * c
        var column = 0
        for b in 0..<batch {
            let image = b * height * width * c
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let (lo, hi) = validTaps(ox)
                    for ky in 0..<kernel {
                        let iy = oy + ky - padding
                        let inside = iy >= 0 && iy < height && lo < hi
                        body(column + ky * run, inside ? image + (iy * width + ox + lo - padding) * c : nil, lo, hi)
                    }
                    column += patchSize
                }
            }
        }
    }

    /// Copies each output pixel's receptive field into one row (zeros outside the image),
    /// one contiguous copy per kernel row.
    private func imageToColumns(_ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let c = inChannels, run = kernel * c
        forEachKernelRow { column, pixel, lo, hi in
            let dst = cols + column
            guard let pixel else { dst.update(repeating: 0, count: run); return }
            if lo > 0 { dst.update(repeating: 0, count: lo * c) }
            (dst + lo * c).update(from: x + pixel, count: (hi - lo) * c)
            if hi < kernel { (dst + hi * c).update(repeating: 0, count: (kernel - hi) * c) }
        }
    }

    /// Adds each row's gradient back onto the pixels it was copied from.
    private func columnsToImage(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let c = inChannels
        forEachKernelRow { column, pixel, lo, hi in
            guard let pixel else { return }
            let dst = dx + pixel, from = cols + column + lo * c
            for k in 0..<((hi - lo) * c) { dst[k] += from[k] }
        }
    }
}
