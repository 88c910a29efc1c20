/// What an environment observes and how it is acted on: the one contract between environments,
/// rollout workers, the wire batch, the learner's admission check and the policy network.
///
/// Every environment (Dungeon, NetHack, …) declares one. Workers size their buffers from it, the
/// learner admits only workers whose spec's `fingerprint` equals its own, and the policy network
/// builds its encoders from it (glyph crop → embedding + conv, status vector → MLP, caption →
/// hashed bag of words), so a new environment needs no change in the learner.
public struct ObservationSpec: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The environment's name (`dungeon`, `nle`); part of the fingerprint.
    public var environment: String
    /// Rows and columns of the full glyph map (`glyphs`).
    public var mapRows: Int
    public var mapColumns: Int
    /// Side of the egocentric glyph crop around the player (odd; `crop`).
    public var cropSize: Int
    /// Glyph ids are in `0..<glyphCount` (the glyph embedding's vocabulary).
    public var glyphCount: Int
    /// Length of the status vector (`blstats`).
    public var blstatsCount: Int
    /// Capacity of the caption (the step's message text) in UTF-8 bytes.
    public var captionBytes: Int
    /// Number of discrete actions; actions are in `0..<actionCount`.
    public var actionCount: Int

    public init(environment: String, mapRows: Int, mapColumns: Int, cropSize: Int, glyphCount: Int,
                blstatsCount: Int, captionBytes: Int, actionCount: Int) {
        self.environment = environment
        self.mapRows = mapRows
        self.mapColumns = mapColumns
        self.cropSize = cropSize
        self.glyphCount = glyphCount
        self.blstatsCount = blstatsCount
        self.captionBytes = captionBytes
        self.actionCount = actionCount
    }

    /// Glyphs per env in the full map.
    public var glyphsPerEnv: Int { mapRows * mapColumns }
    /// Glyphs per env in the crop.
    public var cropPerEnv: Int { cropSize * cropSize }

    /// A caption's bytes as text that fits `captionBytes`. Bytes that are not UTF-8 become U+FFFD,
    /// three bytes each, so a caption near capacity could outgrow it (and the learner refuses a
    /// trajectory whose caption does not fit): such a text is cut back on a character boundary.
    public func captionText<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.count > captionBytes else { return text }
        var fitting = String.UnicodeScalarView(), used = 0
        for scalar in text.unicodeScalars {
            used += UTF8.width(scalar)
            if used > captionBytes { break }
            fitting.append(scalar)
        }
        return String(fitting)
    }

    /// Everything a peer must agree on, as one line (compared verbatim at admission).
    public var fingerprint: String {
        "obs-v2 env=\(environment) map=\(mapRows)x\(mapColumns) crop=\(cropSize) glyphs=\(glyphCount) "
            + "blstats=\(blstatsCount) caption=\(captionBytes) actions=\(actionCount)"
    }

    public var description: String { fingerprint }

    /// Parses a `fingerprint` back into a spec; nil when it is not one.
    public init?(fingerprint: String) {
        let words = fingerprint.split(separator: " ")
        guard words.first == "obs-v2", words.count == 8 else { return nil }
        var fields: [String: String] = [:]
        for word in words.dropFirst() {
            let kv = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return nil }
            fields[kv[0]] = kv[1]
        }
        let map = fields["map"]?.split(separator: "x").compactMap { Int($0) } ?? []
        guard let environment = fields["env"], map.count == 2, let crop = fields["crop"].flatMap(Int.init),
              let glyphs = fields["glyphs"].flatMap(Int.init), let blstats = fields["blstats"].flatMap(Int.init),
              let caption = fields["caption"].flatMap(Int.init), let actions = fields["actions"].flatMap(Int.init) else { return nil }
        self.init(environment: environment, mapRows: map[0], mapColumns: map[1], cropSize: crop, glyphCount: glyphs,
                  blstatsCount: blstats, captionBytes: caption, actionCount: actions)
    }

    /// Throws naming the first field out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw SpecError(message: message) } }
        try check(!environment.isEmpty && !environment.contains(" "), "environment must be a non-empty word, got '\(environment)'")
        // Each side first: the product of two huge ones overflows.
        try check((1...(1 << 20)).contains(mapRows) && (1...(1 << 20)).contains(mapColumns) && mapRows * mapColumns <= 1 << 20, "map must be at least 1×1 and at most 2^20 cells, got \(mapRows)×\(mapColumns)")
        try check(cropSize >= 1 && cropSize % 2 == 1 && cropSize <= 41, "cropSize must be odd and in 1...41, got \(cropSize)")
        try check(glyphCount >= 1 && glyphCount <= Int(Int16.max) + 1, "glyphCount must be in 1...32768 (Int16 ids), got \(glyphCount)")
        try check(blstatsCount >= 0 && blstatsCount <= 4096, "blstatsCount must be in 0...4096, got \(blstatsCount)")
        try check(captionBytes >= 0 && captionBytes <= 65536, "captionBytes must be in 0...65536, got \(captionBytes)")
        try check(actionCount >= 2 && actionCount <= 4096, "actionCount must be in 2...4096, got \(actionCount)")
    }
}

/// A spec field out of range.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}
