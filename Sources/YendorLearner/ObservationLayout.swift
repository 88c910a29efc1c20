/// Sizes of the named observation arrays the policy reads (the Dungeon env's contract).
///
/// The model depends only on these names and sizes, not on the game.
public struct ObservationLayout: Sendable, Codable, Equatable {
    /// Side of the square egocentric glyph crop (cropSize × cropSize glyph ids).
    public var cropSize: Int = 9
    /// Number of distinct glyph ids; ids must be in 0..<glyphVocabulary.
    public var glyphVocabulary: Int = 1024
    /// Length of the bottom-line statistics (blstats) vector.
    public var blstatsCount: Int = 16
    /// Maximum caption length in UTF-8 bytes; each sample reserves this many bytes.
    public var captionCapacity: Int = 256

    public init() {}

    /// Glyph ids per sample.
    public var glyphsPerSample: Int { cropSize * cropSize }
}
