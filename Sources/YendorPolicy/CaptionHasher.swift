import YendorEnvironment
/// Turns caption bytes into a hashed bag of words for an `EmbeddingBag`.
///
/// Words are maximal runs of ASCII letters and digits, lower-cased; each word is hashed
/// with 32-bit FNV-1a into buckets 1..<buckets. Bucket 0 stands for "empty caption" so
/// that an empty message still has a learned embedding distinct from the zero vector.
/// Hash collisions are accepted: the vocabulary of game messages is small and open.
public struct CaptionHasher: Sendable {
    /// Number of embedding rows (including the reserved bucket 0).
    public let buckets: Int

    public init(buckets: Int) {
        precondition(buckets >= 2, "CaptionHasher needs at least 2 buckets, got \(buckets)")
        self.buckets = buckets
    }

    /// Appends one bag per sample: indices into `indices`, bag boundaries into `offsets`
    /// (both cleared first; offsets gets count+1 entries).
    public func encode(_ batch: ObservationBatch, indices: inout [Int32], offsets: inout [Int32]) {
        indices.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
        let capacity = batch.spec.captionBytes
        batch.captionBytes.withUnsafeBufferPointer { bytes in
            for sample in 0..<batch.count {
                let start = indices.count
                let base = sample * capacity
                var hash: UInt32 = 2_166_136_261
                var inWord = false
                for i in 0..<Int(batch.captionLengths[sample]) {
                    var b = bytes[base + i]
                    let isAlnum = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
                    if isAlnum {
                        if b <= 90 && b >= 65 { b += 32 }
                        hash = (hash ^ UInt32(b)) &* 16_777_619
                        inWord = true
                    } else if inWord {
                        indices.append(bucket(hash))
                        hash = 2_166_136_261
                        inWord = false
                    }
                }
                if inWord { indices.append(bucket(hash)) }
                if indices.count == start { indices.append(0) }
                offsets.append(Int32(indices.count))
            }
        }
    }

    private func bucket(_ hash: UInt32) -> Int32 {
        Int32(1 + Int(hash % UInt32(buckets - 1)))
    }
}
