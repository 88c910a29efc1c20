import YendorNN
import YendorSupport

/// Finite-difference gradient checking shared by the layer tests.
///
/// The scalar checked is L = Σ output·probe for a fixed random `probe`, so the analytic
/// gradient is `backward(probe)`. Central differences in Float with a step of 1e-2 are
/// accurate to ~1e-3 for the smooth, O(1)-sized functions used here.
enum GradientCheck {
    static let step: Float = 1e-2

    static func randomValues(_ count: Int, _ rng: inout SplitMix64, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
    }

    static func loss(_ output: Tensor, _ probe: [Float]) -> Double {
        var sum: Double = 0
        for i in 0..<probe.count { sum += Double(output.data[i]) * Double(probe[i]) }
        return sum
    }

    /// The central difference of L = Σ forward()·probe when `perturb` adds its argument to one value
    /// (it is called with +step, −2·step and +step, so the value ends where it started).
    static func numeric(_ perturb: (Float) -> Void, probe: [Float], forward: () throws -> Tensor) rethrows -> Float {
        perturb(step)
        let plus = loss(try forward(), probe)
        perturb(-2 * step)
        let minus = loss(try forward(), probe)
        perturb(step)
        return Float((plus - minus) / Double(2 * step))
    }

    /// Largest |analytic − numeric| / max(1, |numeric|) over all inputs and parameters.
    static func maxError(layer: Layer, input: Tensor, seed: UInt64 = 7) -> Float {
        var rng = SplitMix64(seed: seed)
        let probe = randomValues(layer.forward(input).count, &rng)
        for p in layer.parameters { p.zeroGradient() }
        _ = layer.forward(input)
        let probeTensor = Tensor(shape: [probe.count], data: probe)
        let analyticInput = layer.backward(probeTensor).data
        var worst: Float = 0
        func numeric(_ perturb: (Float) -> Void) -> Float {
            GradientCheck.numeric(perturb, probe: probe) { layer.forward(input) }
        }
        for i in 0..<input.count {
            let n = numeric { input.data[i] += $0 }
            worst = max(worst, abs(analyticInput[i] - n) / max(1, abs(n)))
        }
        for p in layer.parameters {
            let analytic = p.gradient
            for i in 0..<p.count {
                let n = numeric { p.value[i] += $0 }
                worst = max(worst, abs(analytic[i] - n) / max(1, abs(n)))
            }
        }
        return worst
    }
}
