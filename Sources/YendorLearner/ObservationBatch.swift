/// Observations for `count` samples as flat, sample-major arrays.
///
/// For sample i: glyphs `[i·crop²..<(i+1)·crop²]` (row-major crop), blstats
/// `[i·blstatsCount..<…]`, caption bytes `[i·captionCapacity..<i·captionCapacity + captionLengths[i]]`.
public struct ObservationBatch: Sendable, Equatable {
    /// Sizes of each per-sample array.
    public let layout: ObservationLayout
    /// Number of samples.
    public private(set) var count: Int
    /// Glyph ids, count × cropSize × cropSize.
    public var glyphs: [Int16]
    /// Raw bottom-line statistics, count × blstatsCount (the policy normalises them).
    public var blstats: [Int32]
    /// Caption UTF-8 bytes, count × captionCapacity, zero padded.
    public var captionBytes: [UInt8]
    /// Caption length in bytes per sample, each in 0...captionCapacity.
    public var captionLengths: [Int32]

    /// A zero-filled batch (empty captions, glyph id 0 everywhere).
    public init(count: Int, layout: ObservationLayout) {
        self.layout = layout
        self.count = count
        glyphs = [Int16](repeating: 0, count: count * layout.glyphsPerSample)
        blstats = [Int32](repeating: 0, count: count * layout.blstatsCount)
        captionBytes = [UInt8](repeating: 0, count: count * layout.captionCapacity)
        captionLengths = [Int32](repeating: 0, count: count)
    }

    /// Sets sample `index`'s caption (truncated to captionCapacity bytes).
    public mutating func setCaption(_ text: String, at index: Int) {
        let bytes = Array(text.utf8.prefix(layout.captionCapacity))
        let base = index * layout.captionCapacity
        for i in 0..<layout.captionCapacity { captionBytes[base + i] = i < bytes.count ? bytes[i] : 0 }
        captionLengths[index] = Int32(bytes.count)
    }

    /// Checks array sizes and value ranges; throws naming the first bad field.
    public func validate() throws {
        let l = layout
        guard glyphs.count == count * l.glyphsPerSample else { throw LearnerError.badObservation("glyphs has \(glyphs.count) ids, expected \(count) × \(l.glyphsPerSample)") }
        guard blstats.count == count * l.blstatsCount else { throw LearnerError.badObservation("blstats has \(blstats.count) values, expected \(count) × \(l.blstatsCount)") }
        guard captionBytes.count == count * l.captionCapacity else { throw LearnerError.badObservation("captionBytes has \(captionBytes.count) bytes, expected \(count) × \(l.captionCapacity)") }
        guard captionLengths.count == count else { throw LearnerError.badObservation("captionLengths has \(captionLengths.count) entries, expected \(count)") }
        if let bad = captionLengths.firstIndex(where: { $0 < 0 || Int($0) > l.captionCapacity }) {
            throw LearnerError.badObservation("captionLengths[\(bad)] = \(captionLengths[bad]) is outside 0...\(l.captionCapacity)")
        }
        if let bad = glyphs.firstIndex(where: { $0 < 0 || Int($0) >= l.glyphVocabulary }) {
            throw LearnerError.badObservation("glyphs[\(bad)] = \(glyphs[bad]) is outside 0..<\(l.glyphVocabulary)")
        }
    }

    /// Makes this batch a copy of `rows` of `source` (same layout), reusing storage.
    public mutating func gather(_ rows: ArraySlice<Int>, from source: ObservationBatch) {
        precondition(source.layout == layout, "gather: layouts differ")
        let g = layout.glyphsPerSample, s = layout.blstatsCount, c = layout.captionCapacity
        count = rows.count
        glyphs.removeAll(keepingCapacity: true)
        blstats.removeAll(keepingCapacity: true)
        captionBytes.removeAll(keepingCapacity: true)
        captionLengths.removeAll(keepingCapacity: true)
        for r in rows {
            glyphs.append(contentsOf: source.glyphs[(r * g)..<((r + 1) * g)])
            blstats.append(contentsOf: source.blstats[(r * s)..<((r + 1) * s)])
            captionBytes.append(contentsOf: source.captionBytes[(r * c)..<((r + 1) * c)])
            captionLengths.append(source.captionLengths[r])
        }
    }
}
