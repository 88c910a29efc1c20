import Foundation
import YendorLearner

/// ONI's per-step intrinsic reward: r = r_int(caption) / N(caption)^β, where N counts the
/// caption's occurrences in the episode so far (this step included), so a helpful event
/// repeated within one episode earns less each time.
public struct CountScaledIntrinsicReward: Sendable {
    public struct Configuration: Sendable, Codable, Equatable {
        /// β, the count exponent. ONI's code defaults to 3 (`--beta_count_exponent`);
        /// 0 turns the count scaling off.
        public var countExponent: Float = 3

        public init() {}

        /// Throws naming the field when β is negative or not finite.
        public func validate() throws {
            try RewardValidation.nonNegative(countExponent, "countExponent")
        }
    }

    /// Per-block statistics of the rewards written.
    public struct Summary: Sendable, Equatable {
        /// Mean intrinsic reward per step (after count scaling).
        public var mean: Double
        /// Fraction of steps whose intrinsic reward is exactly 0.
        public var sparsity: Double
        /// Fraction of steps whose caption has a label from the annotator.
        public var labeledFraction: Double
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
    }

    /// r / N^β for one step.
    public func scaled(_ reward: Float, count: Int32) -> Float {
        if reward == 0 || configuration.countExponent == 0 { return reward }
        return reward / pow(Float(max(count, 1)), configuration.countExponent)
    }

    /// Writes T·B intrinsic rewards for `block` into `rewards` (resized), first letting
    /// `model` observe the block's captions. Throws on a malformed block (nothing observed).
    @discardableResult
    public func intrinsicRewards(for block: CaptionBlock, model: any RewardModel, into rewards: inout [Float]) throws -> Summary {
        try block.validate()
        model.observe(captions: block.captions, captionIndex: block.captionIndex)
        var used = [Bool](repeating: false, count: block.captions.count)
        for i in block.captionIndex { used[Int(i)] = true }
        var perCaption = [Float](repeating: 0, count: block.captions.count)
        var labeled = [Bool](repeating: false, count: block.captions.count)
        for k in block.captions.indices where used[k] {
            perCaption[k] = model.reward(for: block.captions[k])
            labeled[k] = model.isLabeled(block.captions[k])
        }
        let n = block.stepCount
        rewards.removeAll(keepingCapacity: true)
        rewards.reserveCapacity(n)
        var sum = 0.0, zeros = 0, labeledSteps = 0
        for i in 0..<n {
            let k = Int(block.captionIndex[i])
            let r = scaled(perCaption[k], count: block.captionCount[i])
            rewards.append(r)
            sum += Double(r)
            if r == 0 { zeros += 1 }
            if labeled[k] { labeledSteps += 1 }
        }
        let steps = Double(max(n, 1))
        return Summary(mean: sum / steps, sparsity: Double(zeros) / steps, labeledFraction: Double(labeledSteps) / steps)
    }
}

extension CaptionBlock {
    /// Checks sizes, indices and counts; throws naming the first bad entry.
    public func validate() throws {
        guard captionCount.count == captionIndex.count else {
            throw RewardError.badBlock("captionCount has \(captionCount.count) entries, captionIndex has \(captionIndex.count)")
        }
        if let i = captionIndex.firstIndex(where: { $0 < 0 || Int($0) >= captions.count }) {
            throw RewardError.badBlock("captionIndex[\(i)] = \(captionIndex[i]) is outside 0..<\(captions.count)")
        }
        if let i = captionCount.firstIndex(where: { $0 < 1 }) {
            throw RewardError.badBlock("captionCount[\(i)] = \(captionCount[i]) must be >= 1 (the count includes this step)")
        }
    }
}
