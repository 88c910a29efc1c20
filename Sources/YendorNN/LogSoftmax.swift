import Foundation

/// Row-wise log-softmax: y_ij = x_ij − log Σ_k exp(x_ik), rows of width `features`.
public final class LogSoftmax: Layer {
    /// Row width (number of classes).
    public let features: Int
    public var parameters: [Parameter] { [] }
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init(features: Int) { self.features = features }

    public func forward(_ x: Tensor) -> Tensor {
        output.resize(x.shape)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { y in
                LogSoftmax.apply(xp.baseAddress!, y.baseAddress!, rows: x.count / features, features: features)
            }
        }
        return output
    }

    /// dx = dy − softmax·Σdy per row.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        gradInput.resize(output.shape)
        let n = features
        output.data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeBufferPointer { dy in
                gradInput.data.withUnsafeMutableBufferPointer { dx in
                    for r in 0..<(y.count / n) {
                        let base = r * n
                        var sum: Float = 0
                        for j in 0..<n { sum += dy[base + j] }
                        for j in 0..<n { dx[base + j] = dy[base + j] - expf(y[base + j]) * sum }
                    }
                }
            }
        }
        return gradInput
    }

    /// Writes log-softmax of each row of `x` into `y` (max-shifted for stability).
    public static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, features n: Int) {
        for r in 0..<rows {
            let xr = x + r * n, yr = y + r * n
            var m = -Float.infinity
            for j in 0..<n { m = max(m, xr[j]) }
            var sum: Float = 0
            for j in 0..<n { sum += expf(xr[j] - m) }
            let logZ = m + logf(sum)
            for j in 0..<n { yr[j] = xr[j] - logZ }
        }
    }
}
