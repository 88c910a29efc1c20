/// A reward model's state as it was when taken (`RewardModel.snapshot()`), encoded only when asked.
///
/// The learner takes one on its train loop and encodes and writes it on a thread of its own while
/// training goes on: a retrieval table of a million labels takes about 2 s to encode, which held
/// the loop (and new weights) up at every checkpoint. Taking one is cheap: the model's collections
/// are values, shared until the model next changes them.
public struct RewardModelSnapshot: Sendable {
    private let encode: @Sendable () -> RewardModelState

    /// A snapshot that runs `encode` when its state is asked for; `encode` must capture copies, not
    /// the model.
    public init(encode: @escaping @Sendable () -> RewardModelState) {
        self.encode = encode
    }

    /// The encoded state (the encoding runs now, on the caller's thread).
    public func state() -> RewardModelState { encode() }
}
