import YendorNN
import YendorSupport

/// The distinct recent captions that ranking pairs are drawn from, at most `capacity`.
///
/// A caption already present is left alone; a new caption is appended while there is
/// room and afterwards replaces a uniformly random slot. Each caption therefore survives
/// about `capacity` newer captions (an exponentially decaying sample of recent ones), so
/// captions first met late in training are compared soon, and rare captions are drawn as
/// often as frequent ones.
struct CaptionReservoir {
    /// Most captions kept.
    let capacity: Int
    private(set) var captions: [String] = []
    private var slotOf: [String: Int] = [:]
    /// New (not already present) captions offered so far.
    private(set) var seen: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "CaptionReservoir capacity must be >= 1")
        self.capacity = capacity
    }

    init(capacity: Int, captions: [String], seen: UInt64) throws {
        guard captions.count <= capacity, UInt64(captions.count) <= seen else {
            throw RewardError.badState("reservoir of \(captions.count) captions (seen \(seen)) exceeds capacity \(capacity)")
        }
        self.capacity = capacity
        self.captions = captions
        self.seen = seen
        for (slot, c) in captions.enumerated() { slotOf[c] = slot }
        guard slotOf.count == captions.count else { throw RewardError.badState("reservoir has duplicate captions") }
    }

    /// Offers one caption (a no-op if it is already kept).
    mutating func add(_ caption: String, rng: inout SplitMix64) {
        guard slotOf[caption] == nil else { return }
        seen += 1
        if captions.count < capacity {
            slotOf[caption] = captions.count
            captions.append(caption)
        } else {
            let j = Int(rng.next() % UInt64(capacity))
            slotOf[captions[j]] = nil
            slotOf[caption] = j
            captions[j] = caption
        }
    }

    /// Two different captions drawn uniformly, in random order; nil with fewer than two.
    func samplePair(rng: inout SplitMix64) -> (String, String)? {
        guard captions.count >= 2 else { return nil }
        let i = Int(rng.next() % UInt64(captions.count))
        // A second index drawn from the other n−1 slots: uniform over ordered pairs.
        var j = Int(rng.next() % UInt64(captions.count - 1))
        if j >= i { j += 1 }
        return (captions[i], captions[j])
    }
}
