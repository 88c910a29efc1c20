import YendorWire
/// The `none` model: no intrinsic reward, no queries (extrinsic-only APPO).
public final class NoRewardModel: RewardModel {
    public var name: String { "none" }

    public init() {}

    public func observe(captions: [String], captionIndex: [Int32]) {}
    public func observe(_ answer: LabeledTask) {}
    public func reward(for caption: String) -> Float { 0 }
    public func isLabeled(_ caption: String) -> Bool { false }
    public func captionsWanted(limit: Int) -> [LabelTask] { [] }
    public func trainStep(maxSteps: Int) -> Int { 0 }

    public func snapshot() -> RewardModelSnapshot {
        let name = name
        return RewardModelSnapshot { RewardModelState.encode(["model": name], tensors: []) }
    }

    public func loadState(_ state: RewardModelState) throws {
        _ = try state.decode([String: String].self, model: name)
    }

    public var metrics: [RewardMetric: Double] { [.labels: 0, .coverage: 0] }
}
