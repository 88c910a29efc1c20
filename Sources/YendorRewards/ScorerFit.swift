import YendorSupport

/// What the classification and ranking models share in fitting their `CaptionScorer`: the
/// labeled examples kept for training and held out (for accuracy only), the minibatch loop, and
/// its counters. The models differ only in their examples and their loss.
struct ScorerFit<Example> {
    private(set) var training: KeyedRing<Example>
    private(set) var heldOut: KeyedRing<Example>
    /// Draws minibatches (the ranking model also samples its reservoir with it).
    var rng: SplitMix64
    private(set) var trainSteps = 0
    private(set) var lastLoss: Float?
    /// Held-out accuracy as last computed; `.none` when the held-out set or the scorer changed since.
    private var cachedAccuracy: Double?? = .none

    init(trainingCapacity: Int, heldOutCapacity: Int, seed: UInt64) {
        training = KeyedRing(capacity: trainingCapacity)
        heldOut = KeyedRing(capacity: heldOutCapacity)
        rng = SplitMix64(seed: seed)
    }

    /// Keeps `example` under `key` for training or held out; returns what it evicted.
    @discardableResult
    mutating func insert(_ key: String, _ example: Example, heldOut isHeldOut: Bool) -> (key: String, item: Example)? {
        guard isHeldOut else { return training.upsert(key, example) }
        cachedAccuracy = .none
        return heldOut.upsert(key, example)
    }

    /// `steps` Adam steps on minibatches of `batchSize` training examples drawn uniformly with
    /// replacement; `lossAndGradient` runs the scorer's forward pass on a minibatch and returns the
    /// loss and d(loss)/d(score) for every bag it scored.
    mutating func train(_ scorer: CaptionScorer, steps: Int, batchSize: Int, learningRate: Float,
                        lossAndGradient: ([Example]) -> (Float, [Float])) {
        var batch: [Example] = []
        batch.reserveCapacity(batchSize)
        for _ in 0..<steps {
            batch.removeAll(keepingCapacity: true)
            for _ in 0..<batchSize { batch.append(training.items[Int(rng.next() % UInt64(training.count))]) }
            let (loss, gradient) = lossAndGradient(batch)
            scorer.backward(gradient)
            scorer.step(learningRate: learningRate)
            lastLoss = loss
        }
        trainSteps += steps
        cachedAccuracy = .none
    }

    /// Held-out accuracy by `measure` (over the held-out examples), computed again only after a
    /// change.
    mutating func accuracy(_ measure: ([Example]) -> Double?) -> Double? {
        if let cached = cachedAccuracy { return cached }
        let value = measure(heldOut.items)
        cachedAccuracy = .some(value)
        return value
    }

    /// Restores a saved fit (rings as rebuilt from a checkpoint).
    mutating func restore(training: KeyedRing<Example>, heldOut: KeyedRing<Example>, rngState: UInt64,
                          trainSteps: Int, lastLoss: Float?) {
        self.training = training
        self.heldOut = heldOut
        rng = SplitMix64(seed: rngState)
        self.trainSteps = trainSteps
        self.lastLoss = lastLoss
        cachedAccuracy = .none
    }
}
