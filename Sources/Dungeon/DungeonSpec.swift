import YendorEnvironment

extension ObservationSpec {
    /// Dungeon's observation spec: a `rows`×`columns` map (NetHack's 21×79 by default), a crop of
    /// `cropSize`, Dungeon's glyph and action vocabularies, its 16 status values, and the caption.
    public static func dungeon(rows: Int = 21, columns: Int = 79, cropSize: Int = 9, captionBytes: Int = 256) -> ObservationSpec {
        ObservationSpec(environment: "dungeon", mapRows: rows, mapColumns: columns, cropSize: cropSize,
                        glyphCount: Glyph.count, blstatsCount: BLStat.count, captionBytes: captionBytes,
                        actionCount: Action.count)
    }

    /// Checks this spec is one Dungeon can produce, naming the first field out of range.
    public func validateForDungeon() throws {
        do { try validate() } catch let e as SpecError { throw DungeonError.invalidConfiguration(e.message) }
        guard environment == "dungeon", glyphCount == Glyph.count, blstatsCount == BLStat.count, actionCount == Action.count else {
            throw DungeonError.invalidConfiguration("not a Dungeon spec: \(fingerprint) (expected \(ObservationSpec.dungeon(rows: mapRows, columns: mapColumns, cropSize: cropSize, captionBytes: captionBytes).fingerprint))")
        }
        try GameConfiguration(rows: mapRows, columns: mapColumns, captionBytes: captionBytes).validate()
    }
}
