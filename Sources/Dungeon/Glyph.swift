/// Glyph ids written into the map and crop observations (Int16 in `0..<Glyph.count`).
///
/// Ranges: map features `0..<32`, objects `32..<64`, corpses `64 + monster kind`, monsters
/// `128 + monster kind`, tame monsters `192 + monster kind`, the player `256`. Glyph 0 is blank:
/// unexplored or solid rock, and the padding of the crop outside the map.
public enum Glyph {
    public static let stone: Int16 = 0
    public static let verticalWall: Int16 = 1
    public static let horizontalWall: Int16 = 2
    public static let topLeftCorner: Int16 = 3
    public static let topRightCorner: Int16 = 4
    public static let bottomLeftCorner: Int16 = 5
    public static let bottomRightCorner: Int16 = 6
    public static let doorway: Int16 = 7
    public static let brokenDoor: Int16 = 8
    public static let openDoor: Int16 = 9
    public static let closedDoor: Int16 = 10
    /// Floor of a dark room, as remembered.
    public static let darkFloor: Int16 = 11
    public static let litFloor: Int16 = 12
    public static let corridor: Int16 = 13
    public static let upStairs: Int16 = 14
    public static let downStairs: Int16 = 15
    public static let fountain: Int16 = 16

    /// First object glyph; add `ItemKind.rawValue`.
    public static let objectBase: Int16 = 32
    /// First corpse glyph; add `MonsterKind.rawValue`.
    public static let corpseBase: Int16 = 64
    /// First monster glyph; add `MonsterKind.rawValue`.
    public static let monsterBase: Int16 = 128
    /// First tame-monster glyph; add `MonsterKind.rawValue`.
    public static let petBase: Int16 = 192
    public static let player: Int16 = 256

    /// Number of glyph ids, the size of the policy's glyph embedding.
    public static let count = 320

    /// The glyph a terrain tile shows (hidden tiles show as what they imitate).
    @inline(__always)
    static func terrain(_ tile: Tile, lit: Bool, hiddenDoorLooksLike wall: Int16) -> Int16 {
        switch tile {
        case .stone, .hiddenCorridor: return stone
        case .verticalWall: return verticalWall
        case .horizontalWall: return horizontalWall
        case .topLeftCorner: return topLeftCorner
        case .topRightCorner: return topRightCorner
        case .bottomLeftCorner: return bottomLeftCorner
        case .bottomRightCorner: return bottomRightCorner
        case .doorway: return doorway
        case .brokenDoor: return brokenDoor
        case .openDoor: return openDoor
        case .closedDoor, .lockedDoor: return closedDoor
        case .hiddenDoor: return wall
        case .floor: return lit ? litFloor : darkFloor
        case .corridor: return corridor
        case .upStairs: return upStairs
        case .downStairs: return downStairs
        case .fountain: return fountain
        }
    }

    /// The character NetHack would draw for a glyph (open doors drawn by the renderer itself).
    public static func character(_ glyph: Int16) -> Character {
        switch glyph {
        case stone: return " "
        case verticalWall: return "|"
        case horizontalWall, topLeftCorner, topRightCorner, bottomLeftCorner, bottomRightCorner: return "-"
        case doorway, brokenDoor: return "."
        case openDoor: return "|"
        case closedDoor: return "+"
        case darkFloor, litFloor: return "."
        case corridor: return "#"
        case upStairs: return "<"
        case downStairs: return ">"
        case fountain: return "{"
        case player: return "@"
        case objectBase..<corpseBase:
            return ItemKind(rawValue: UInt8(glyph - objectBase))?.symbol ?? "?"
        case corpseBase..<monsterBase: return "%"
        case monsterBase..<petBase:
            return MonsterKind(rawValue: UInt8(glyph - monsterBase))?.symbol ?? "?"
        case petBase..<player:
            return MonsterKind(rawValue: UInt8(glyph - petBase))?.symbol ?? "?"
        default: return "?"
        }
    }
}
