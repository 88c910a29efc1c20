/// Indices into the per-env `blstats` vector (Int32), a compact bottom-line status like NLE's.
public enum BLStat: Int, CaseIterable, Sendable {
    /// Player column, 0-based.
    case x
    /// Player row, 0-based.
    case y
    /// Current hit points.
    case hitPoints
    /// Maximum hit points.
    case maxHitPoints
    /// Current dungeon level (1 is the top).
    case depth
    /// Gold carried.
    case gold
    /// Experience level (starts at 1).
    case experienceLevel
    /// Experience points.
    case experiencePoints
    /// Hunger state: 0 not hungry, 1 hungry, 2 weak, 3 fainting.
    case hunger
    /// Nutrition counter (starts at 900, hungry below 150).
    case nutrition
    /// Game turn (starts at 1).
    case turn
    /// In-game score (gold + 4 x experience + 50 x (deepest level - 1) + 100 per Oracle visit).
    case score
    /// Keys carried.
    case keys
    /// Food items carried.
    case food
    /// Potions carried.
    case potions
    /// Deepest level reached this episode.
    case deepest

    /// Length of the blstats vector.
    public static let count = allCases.count
}
