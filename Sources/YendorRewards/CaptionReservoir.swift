import YendorNN

/// A uniform sample (reservoir sampling, Algorithm R) of at most `capacity` captions from
/// the stream of captions seen, from which ranking pairs are drawn.
struct CaptionReservoir {
    /// Most captions kept.
    let capacity: Int
    private(set) var captions: [String] = []
    /// Captions offered so far (the stream length).
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
    }

    /// Offers one caption: kept with probability capacity/seen, replacing a random one.
    mutating func add(_ caption: String, rng: inout SeededGenerator) {
        seen += 1
        if captions.count < capacity {
            captions.append(caption)
        } else {
            let j = rng.next() % seen
            if j < UInt64(capacity) { captions[Int(j)] = caption }
        }
    }

    /// Two different captions drawn uniformly, in random order; nil when fewer than two
    /// distinct captions turn up in a few draws.
    func samplePair(rng: inout SeededGenerator) -> (String, String)? {
        guard captions.count >= 2 else { return nil }
        for _ in 0..<8 {
            let a = captions[Int(rng.next() % UInt64(captions.count))]
            let b = captions[Int(rng.next() % UInt64(captions.count))]
            if a != b { return (a, b) }
        }
        return nil
    }
}
