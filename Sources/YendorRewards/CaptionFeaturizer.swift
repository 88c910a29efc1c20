import YendorSupport
/// Turns a caption into hashed word unigram and bigram features for `CaptionScorer`.
///
/// Tokenisation mirrors `CaptionHasher`: words are maximal runs of ASCII letters and
/// digits, lower-cased. In addition every run of digits becomes "#", so "12 gold pieces"
/// and "7 gold pieces" share all their features. Each word and each adjacent pair of
/// words is hashed (64-bit FNV-1a, separate seeds) into buckets 1..<buckets; bucket 0 is
/// a bias feature present in every caption, so an empty caption still has a feature.
struct CaptionFeaturizer: Sendable {
    /// Number of feature buckets including the bias bucket 0.
    let buckets: Int
    /// Words beyond this many are ignored (bounds the cost of pathological captions).
    let maxWords: Int

    init(buckets: Int, maxWords: Int = 64) {
        precondition(buckets >= 2, "CaptionFeaturizer needs at least 2 buckets")
        self.buckets = buckets
        self.maxWords = maxWords
    }

    /// The normalised words of `caption`.
    func words(_ caption: String) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        var inDigits = false
        func flush() {
            if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
            current.removeAll(keepingCapacity: true)
            inDigits = false
        }
        for var b in caption.utf8 {
            if words.count >= maxWords { break }
            let isDigit = b >= 48 && b <= 57
            let isUpper = b >= 65 && b <= 90
            let isLower = b >= 97 && b <= 122
            if isDigit {
                if !inDigits { current.append(UInt8(ascii: "#")) }
                inDigits = true
            } else if isUpper || isLower {
                if isUpper { b += 32 }
                current.append(b)
                inDigits = false
            } else {
                flush()
            }
        }
        if words.count < maxWords { flush() }
        return words
    }

    /// Feature bucket indices of `caption`: the bias bucket, one per word, one per bigram.
    func features(_ caption: String) -> [Int32] {
        let w = words(caption)
        var out: [Int32] = [0]
        out.reserveCapacity(2 * w.count + 1)
        var previous: UInt64?
        for word in w {
            let unigram = StableHash.of(word)
            out.append(bucket(unigram))
            if let previous {
                // Bigram: the previous word's hash, a separator, then this word's bytes.
                var h = StableHash.mix(previous, 0x1F)
                for b in word.utf8 { h = StableHash.mix(h, b) }
                out.append(bucket(h ^ 0x5BD1_E995))
            }
            previous = unigram
        }
        return out
    }

    private func bucket(_ hash: UInt64) -> Int32 {
        Int32(1 + Int(hash % UInt64(buckets - 1)))
    }
}
