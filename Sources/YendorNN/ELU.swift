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
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { y in
                y.baseAddress!.update(from: xp.baseAddress!, count: xp.count)
                ELU.activate(y.baseAddress!, count: y.count, alpha: alpha)
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard input != nil else { preconditionFailure("ELU.backward before forward") }
        return output.activationGradient(gradOutput, into: gradInput) { [alpha] y, dy, dx, count in
            ELU.gradient(output: y, gradOutput: dy, into: dx, count: count, alpha: alpha)
        }
    }

    /// y ← ELU(y) in place (also used by layers that fuse the activation).
    static func activate(_ y: UnsafeMutablePointer<Float>, count: Int, alpha a: Float) {
        // Branch-free so the loop vectorises; `ELU.exponential` avoids a libm call.
        for i in 0..<count { let v = y[i]; let e = ELU.exponential(min(v, 0)); y[i] = v > 0 ? v : a * (e - 1) }
    }

    /// dx = dy·ELU′, computed from the output y: the slope is 1 where y > 0 (exactly where
    /// x > 0) and y + α elsewhere, so no second exponential and no need to keep x.
    static func gradient(output y: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>,
                         into dx: UnsafeMutablePointer<Float>, count: Int, alpha a: Float) {
        // All loads are unconditional so the select vectorises (a load inside the branch
        // would need masked loads, which the SSE2 baseline lacks).
        for i in 0..<count {
            let yv = y[i], g = dy[i]
            dx[i] = yv > 0 ? g : g * (yv + a)
        }
    }

    /// eˣ for x ≤ 0 (clamped at −87), accurate to ~2 ulp: x = n·ln2 + r with |r| ≤ ln2/2 (n the nearest integer),
    /// eʳ by a degree-7 polynomial (Cephes coefficients), 2ⁿ built in the exponent bits.
    /// Plain arithmetic without traps or calls, so loops over it auto-vectorise.
    @inline(__always)
    static func exponential(_ value: Float) -> Float {
        let x = max(value, -87)
        // n = x·log₂e rounded to nearest by adding and removing 1.5·2²³ (two plain adds that
        // vectorise on the SSE2 baseline, where `rounded(.down)` becomes a floorf call).
        let n = (x * 1.442_695_04 + 12_582_912) - 12_582_912
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
