import Foundation
import YendorNN

/// V-trace off-policy targets and policy-gradient advantages (IMPALA, Espeholt et al.
/// 2018), on time-major [T, B] arrays.
///
/// With ρ_t = π(a_t|x_t)/μ(a_t|x_t), ρ̂_t = min(ρ̄, ρ_t), c_t = min(c̄, ρ_t):
///   δ_t = ρ̂_t (r_t + γ V(x_{t+1}) − V(x_t))
///   v_t = V(x_t) + δ_t + γ c_t (v_{t+1} − V(x_{t+1})),   v_T = V(x_T)
///   A_t = min(ρ̄_pg, ρ_t) (r_t + γ v_{t+1} − V(x_t))
///
/// Episode ends inside the rollout cut the trace: at a step with `done`, nothing flows
/// back from step t+1 (which belongs to the next episode), and V(x_{t+1}) and v_{t+1}
/// above are replaced by a bootstrap value b_t:
/// - terminal (done, not truncated): b_t = 0, the episode has no future;
/// - truncated (time limit): the state still has a future, but the batch does not carry
///   the final observation (x_{t+1} is already the next episode's first), so b_t =
///   V(x_t), the value of the last state we have, as a stand-in for V(x_final).
public enum VTrace {
    /// Writes targets v_t into `targets` and advantages A_t into `advantages` (T·B each).
    ///
    /// - Parameters:
    ///   - values: V(x_t) for t = 0...T, (T+1)·B.
    ///   - rewards, logRhos (log π − log μ of the taken action), dones, truncated: T·B.
    public static func compute(
        timeSteps: Int, envCount: Int,
        values: [Float], rewards: [Float], logRhos: [Float], dones: [UInt8], truncated: [UInt8],
        gamma: Float, rhoBar: Float, cBar: Float, policyGradientRhoBar: Float,
        targets: inout [Float], advantages: inout [Float]
    ) {
        let n = timeSteps * envCount
        precondition(values.count == n + envCount && rewards.count == n && logRhos.count == n
                     && dones.count == n && truncated.count == n, "VTrace: array sizes do not match T=\(timeSteps), B=\(envCount)")
        targets.resize(to: n)
        advantages.resize(to: n)
        for b in 0..<envCount {
            // carry = v_{t+1} − V(x_{t+1}); zero at t = T−1 since v_T = V(x_T).
            var carry: Float = 0
            for t in stride(from: timeSteps - 1, through: 0, by: -1) {
                let i = t * envCount + b
                let value = values[i]
                let rho = expf(logRhos[i])
                let clippedRho = min(rhoBar, rho)
                let c = min(cBar, rho)
                let ended = dones[i] != 0 || truncated[i] != 0
                let nextValue: Float      // V(x_{t+1}) or the bootstrap b_t
                let nextTarget: Float     // v_{t+1} or b_t
                if ended {
                    nextValue = truncated[i] != 0 ? value : 0
                    nextTarget = nextValue
                    carry = 0
                } else {
                    nextValue = values[i + envCount]
                    nextTarget = nextValue + carry
                }
                let delta = clippedRho * (rewards[i] + gamma * nextValue - value)
                let targetMinusValue = delta + gamma * c * carry
                targets[i] = value + targetMinusValue
                advantages[i] = min(policyGradientRhoBar, rho) * (rewards[i] + gamma * nextTarget - value)
                carry = targetMinusValue
            }
        }
    }
}
