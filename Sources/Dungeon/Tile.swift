/// What a map square is made of. Hidden squares look like what surrounds them until searched for.
public enum Tile: UInt8, Sendable {
    case stone, verticalWall, horizontalWall
    case topLeftCorner, topRightCorner, bottomLeftCorner, bottomRightCorner
    /// An empty doorway (no door).
    case doorway
    case brokenDoor, openDoor, closedDoor, lockedDoor
    /// A door that looks like wall until found.
    case hiddenDoor
    case floor, corridor
    /// A corridor square that looks like stone until found.
    case hiddenCorridor
    case upStairs, downStairs, fountain

    /// Whether a creature may stand here.
    @inline(__always)
    var isWalkable: Bool {
        switch self {
        case .doorway, .brokenDoor, .openDoor, .floor, .corridor, .upStairs, .downStairs, .fountain: return true
        default: return false
        }
    }

    /// Doors that forbid diagonal moves into or out of them (NetHack's rule for intact doorways).
    @inline(__always)
    var blocksDiagonal: Bool { self == .openDoor || self == .closedDoor || self == .lockedDoor }

    /// Any kind of door square, including empty and broken ones.
    @inline(__always)
    var isDoor: Bool {
        switch self {
        case .doorway, .brokenDoor, .openDoor, .closedDoor, .lockedDoor, .hiddenDoor: return true
        default: return false
        }
    }

    var isWall: Bool {
        switch self {
        case .verticalWall, .horizontalWall, .topLeftCorner, .topRightCorner, .bottomLeftCorner,
             .bottomRightCorner: return true
        default: return false
        }
    }
}
