import Foundation

/// Exponential linear unit: y = x for x > 0, α(eˣ − 1) otherwise.
///
/// The default activation of the policy: smooth below zero, so no dead units.
public final class ELU: Layer {
    /// Saturation value for very negative inputs is −alpha.
    public let alpha: Float
    public var parameters: [Parameter] { [] }
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init(alpha: Float = 1) { self.alpha = alpha }

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        output.resize(x.shape)
        let a = alpha
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { y in
                // Branch-free so the loop vectorises; `ELU.exponential` avoids a libm call.
                for i in 0..<xp.count { let v = xp[i]; let e = ELU.exponential(min(v, 0)); y[i] = v > 0 ? v : a * (e - 1) }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("ELU.backward before forward") }
        gradInput.resize(x.shape)
        let a = alpha
        // dy/dx = 1 above zero, y + α below (reuses the stored output instead of another exp).
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeBufferPointer { y in
                gradOutput.data.withUnsafeBufferPointer { dy in
                    gradInput.data.withUnsafeMutableBufferPointer { dx in
                        for i in 0..<xp.count { dx[i] = xp[i] > 0 ? dy[i] : dy[i] * (y[i] + a) }
                    }
                }
            }
        }
        return gradInput
    }

    /// eˣ for x ≤ 0 (clamped at −87), accurate to ~2 ulp: x = n·ln2 + r with |r| ≤ ln2/2,
    /// eʳ by a degree-7 polynomial (Cephes coefficients), 2ⁿ built in the exponent bits.
    /// Plain arithmetic without traps or calls, so loops over it auto-vectorise.
    @inline(__always)
    static func exponential(_ value: Float) -> Float {
        let x = max(value, -87)
        let n = (x * 1.442_695_04 + 0.5).rounded(.down)
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let e = p * r * r + r + 1
        // n + 127 is an integer in [1, 127]; adding 2²³ puts it in the low mantissa bits.
        let biased = (n + 127 + 8_388_608).bitPattern & 0x7F_FFFF
        return e * Float(bitPattern: biased &<< 23)
    }
}
