import YendorEnvironment
/// Observations for `count` samples as flat, sample-major arrays.
///
/// For sample i: crop `[i·crop²..<(i+1)·crop²]` (glyph ids of the row-major crop), blstats
/// `[i·blstatsCount..<…]`, caption bytes `[i·captionBytes..<i·captionBytes + captionLengths[i]]`.
public struct ObservationBatch: Sendable, Equatable {
    /// Sizes of each per-sample array.
    public let spec: ObservationSpec
    /// Number of samples.
    public private(set) var count: Int
    /// Glyph ids of the egocentric crop, count × cropSize × cropSize (the env's `crop`, the wire's `obs/crop`).
    public var crop: [Int16]
    /// Raw bottom-line statistics, count × blstatsCount (the policy normalises them).
    public var blstats: [Int32]
    /// Caption UTF-8 bytes, count × captionBytes, zero padded.
    public var captionBytes: [UInt8]
    /// Caption length in bytes per sample, each in 0...captionBytes.
    public var captionLengths: [Int32]

    /// A zero-filled batch (empty captions, glyph id 0 everywhere).
    public init(count: Int, spec: ObservationSpec) {
        self.spec = spec
        self.count = count
        crop = [Int16](repeating: 0, count: count * spec.cropPerEnv)
        blstats = [Int32](repeating: 0, count: count * spec.blstatsCount)
        captionBytes = [UInt8](repeating: 0, count: count * spec.captionBytes)
        captionLengths = [Int32](repeating: 0, count: count)
    }

    /// Sets sample `index`'s caption (truncated to captionBytes bytes).
    public mutating func setCaption(_ text: String, at index: Int) {
        let bytes = Array(text.utf8.prefix(spec.captionBytes))
        let base = index * spec.captionBytes
        for i in 0..<spec.captionBytes { captionBytes[base + i] = i < bytes.count ? bytes[i] : 0 }
        captionLengths[index] = Int32(bytes.count)
    }

    /// Checks array sizes and value ranges; throws naming the first bad field.
    public func validate() throws {
        let l = spec
        guard crop.count == count * l.cropPerEnv else { throw LearnerError.badObservation("crop has \(crop.count) ids, expected \(count) × \(l.cropPerEnv)") }
        guard blstats.count == count * l.blstatsCount else { throw LearnerError.badObservation("blstats has \(blstats.count) values, expected \(count) × \(l.blstatsCount)") }
        guard captionBytes.count == count * l.captionBytes else { throw LearnerError.badObservation("captionBytes has \(captionBytes.count) bytes, expected \(count) × \(l.captionBytes)") }
        guard captionLengths.count == count else { throw LearnerError.badObservation("captionLengths has \(captionLengths.count) entries, expected \(count)") }
        if let bad = captionLengths.firstIndex(where: { $0 < 0 || Int($0) > l.captionBytes }) {
            throw LearnerError.badObservation("captionLengths[\(bad)] = \(captionLengths[bad]) is outside 0...\(l.captionBytes)")
        }
        if let bad = crop.firstIndex(where: { $0 < 0 || Int($0) >= l.glyphCount }) {
            throw LearnerError.badObservation("crop[\(bad)] = \(crop[bad]) is outside 0..<\(l.glyphCount)")
        }
    }

    /// Makes this batch a copy of `rows` of `source` (same spec), reusing storage.
    public mutating func gather(_ rows: ArraySlice<Int>, from source: ObservationBatch) {
        precondition(source.spec == spec, "gather: specs differ")
        let g = spec.cropPerEnv, s = spec.blstatsCount, c = spec.captionBytes
        count = rows.count
        crop.removeAll(keepingCapacity: true)
        blstats.removeAll(keepingCapacity: true)
        captionBytes.removeAll(keepingCapacity: true)
        captionLengths.removeAll(keepingCapacity: true)
        for r in rows {
            crop.append(contentsOf: source.crop[(r * g)..<((r + 1) * g)])
            blstats.append(contentsOf: source.blstats[(r * s)..<((r + 1) * s)])
            captionBytes.append(contentsOf: source.captionBytes[(r * c)..<((r + 1) * c)])
            captionLengths.append(source.captionLengths[r])
        }
    }
}
