/// Shapes of the observation buffers, shared by workers and the learner.
///
/// Compare `fingerprint` between processes to catch a worker built with different sizes.
public struct ObservationLayout: Sendable, Equatable, Codable {
    /// Map rows (NetHack's 21).
    public var rows: Int
    /// Map columns (NetHack's 79).
    public var columns: Int
    /// Side of the egocentric crop (odd; the player is at its centre).
    public var cropSize: Int
    /// Length of the blstats vector (`BLStat.count`; fixed).
    public var blstatsCount: Int
    /// Capacity of the caption in bytes.
    public var captionBytes: Int

    public init(rows: Int = 21, columns: Int = 79, cropSize: Int = 9, captionBytes: Int = 256) {
        self.rows = rows
        self.columns = columns
        self.cropSize = cropSize
        self.blstatsCount = BLStat.count
        self.captionBytes = captionBytes
    }

    /// Glyphs per env in the full map.
    public var glyphsPerEnv: Int { rows * columns }
    /// Glyphs per env in the crop.
    public var cropPerEnv: Int { cropSize * cropSize }

    /// Everything a consumer must agree on, as one line: sizes, glyph and action counts, version.
    public var fingerprint: String {
        "dungeon-obs-v1 map=\(rows)x\(columns) crop=\(cropSize) blstats=\(blstatsCount) caption=\(captionBytes) "
            + "glyphs=\(Glyph.count) actions=\(Action.count)"
    }

    /// Checks the sizes, naming the first one out of range.
    public func validate() throws {
        guard cropSize >= 1, cropSize % 2 == 1, cropSize <= 41 else {
            throw DungeonError.invalidConfiguration("cropSize must be odd and in 1...41, got \(cropSize)")
        }
        guard blstatsCount == BLStat.count else {
            throw DungeonError.invalidConfiguration("blstatsCount must be \(BLStat.count), got \(blstatsCount)")
        }
        try GameConfiguration(rows: rows, columns: columns, captionBytes: captionBytes).validate()
    }
}
