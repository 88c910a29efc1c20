import YendorWire
/// An intrinsic reward model distilled from annotator labels (ONI).
///
/// The caller (the learner service) drives it from one isolation domain, in this order:
/// `observe(captions:captionIndex:)` for each block of experience (so the model knows
/// which captions exist), `reward(for:)` per caption, `captionsWanted(limit:)` to build
/// annotator requests, `observe(_:)` as answers arrive, and
/// `trainStep(maxSteps:)` between batches. No method blocks or waits for labels.
///
/// Models are not thread-safe: keep one in an actor (or behind a lock) and call
/// `trainStep` with a small `maxSteps` so a call never stalls the learner for long.
public protocol RewardModel: AnyObject {
    /// The registry name ("none", "retrieval", "classification", "ranking").
    var name: String { get }

    /// Records the captions of a block of experience: `captions` are distinct strings,
    /// `captionIndex` points into them once per step. Feeds the query candidates, the
    /// ranking reservoir and the ranking normaliser. Indices must be valid (checked by
    /// `CaptionBlock.validate()`).
    func observe(captions: [String], captionIndex: [Int32])

    /// Absorbs an annotator's answer. A model ignores answers to questions it does not ask
    /// (the classifying models ignore rankings, the ranking model classifications).
    func observe(_ answer: LabeledTask)

    /// The intrinsic reward r_int of one caption, before count scaling. Cached per caption.
    func reward(for caption: String) -> Float

    /// True when the annotator has labeled this caption (directly or within a pair).
    func isLabeled(_ caption: String) -> Bool

    /// Up to `limit` new queries for the annotator. Each caption or pair is returned once
    /// while it is pending; a query whose answer never comes is forgotten when the
    /// bounded pending list overflows, and may then be asked again.
    func captionsWanted(limit: Int) -> [LabelTask]

    /// Runs at most `maxSteps` optimiser steps on the labels received so far; returns
    /// the number of steps taken (0 for table models or too few labels).
    @discardableResult
    func trainStep(maxSteps: Int) -> Int

    /// Everything needed to resume (weights, labels, optimiser and normaliser state) as it is now,
    /// to be encoded later, anywhere: what the model learns meanwhile is not in it.
    func snapshot() -> RewardModelSnapshot

    /// Restores state written by `saveState()` of a model with the same name and sizes.
    func loadState(_ state: RewardModelState) throws

    /// Current readings (docs/rewards.md has the table), computed from the model's state.
    /// Readings that are undefined (e.g. accuracy with no held-out labels) are left out.
    var metrics: [RewardMetric: Double] { get }
}

extension RewardModel {
    /// Everything needed to resume, encoded now (`snapshot().state()`).
    public func saveState() -> RewardModelState { snapshot().state() }
}
