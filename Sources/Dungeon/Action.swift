/// The actions a player can take, in NetHack's spirit. Raw values are the policy's action indices.
///
/// Moves follow NLE's compass order (N, E, S, W, NE, SE, SW, NW). Door actions (`open`, `close`,
/// `kick`, `apply`) act on the square the player last tried to move towards (the facing direction),
/// which stands in for NetHack's direction prompt. Every action except `look` takes one game turn,
/// including ones that fail; failures say why in the caption.
public enum Action: Int32, CaseIterable, Sendable {
    case north, east, south, west, northEast, southEast, southWest, northWest
    /// `.`: rest one turn.
    case wait
    /// `s`: search the eight neighbouring squares for hidden doors and passages.
    case search
    /// `,`: pick up what lies here.
    case pickUp
    /// `>`: go down a staircase.
    case down
    /// `<`: go up a staircase.
    case up
    /// `o`: open the door in the facing direction.
    case open
    /// `c`: close the door in the facing direction.
    case close
    /// `^D`: kick in the facing direction (doors, monsters, walls).
    case kick
    /// `e`: eat the first food in the inventory.
    case eat
    /// `q`: drink from a fountain here, else the first potion in the inventory.
    case quaff
    /// `a`: apply a key to the door in the facing direction (unlock or lock it).
    case apply
    /// `#pray`: pray; helps when hit points are low and the god is not angry.
    case pray
    /// `:`: look at what is here; takes no game time.
    case look

    /// Number of actions, the size of the policy's action head.
    public static let count = allCases.count

    /// The (dx, dy) of a move action, or nil for other actions.
    @inline(__always)
    public var direction: (dx: Int, dy: Int)? {
        switch self {
        case .north: return (0, -1)
        case .east: return (1, 0)
        case .south: return (0, 1)
        case .west: return (-1, 0)
        case .northEast: return (1, -1)
        case .southEast: return (1, 1)
        case .southWest: return (-1, 1)
        case .northWest: return (-1, -1)
        default: return nil
        }
    }

    /// The NetHack key for this action (used by `yendor play` and recorded episodes).
    public var key: Character {
        switch self {
        case .north: return "k"
        case .east: return "l"
        case .south: return "j"
        case .west: return "h"
        case .northEast: return "u"
        case .southEast: return "n"
        case .southWest: return "b"
        case .northWest: return "y"
        case .wait: return "."
        case .search: return "s"
        case .pickUp: return ","
        case .down: return ">"
        case .up: return "<"
        case .open: return "o"
        case .close: return "c"
        case .kick: return "K"
        case .eat: return "e"
        case .quaff: return "q"
        case .apply: return "a"
        case .pray: return "P"
        case .look: return ":"
        }
    }

    /// The action bound to a NetHack key, or nil.
    public init?(key: Character) {
        guard let action = Action.allCases.first(where: { $0.key == key }) else { return nil }
        self = action
    }
}
