/// The action sets NLE's tasks use: each action index maps to the key NetHack receives.
///
/// Key codes follow NetHack's keyboard: plain ASCII, Ctrl-X as X & 0x1f, Meta-X as 0x80 | X.
public enum NetHackActionSet: String, Sendable, CaseIterable, Codable {
    /// NLE's 23-action task set (`nle.env.tasks.TASK_ACTIONS`): More, the 8 directions, the 8
    /// long directions, up, down, wait, kick, eat, search.
    case task
    /// ONI's extended task set: the task set plus cast, quaff, pray, pick up and pay.
    case extended
    /// NLE's full set of useful commands (`nle.nethack.USEFUL_ACTIONS`, 86 keys).
    case full
    /// NLE's whole keyboard (`nle.nethack.ACTIONS`, 121 keys; a few keys appear twice, as there),
    /// which `NetHackChallenge` uses.
    case keyboard

    /// The key for each action index.
    public var keys: [Int32] {
        switch self {
        case .task: return Self.taskKeys
        case .extended: return Self.taskKeys + [90, 113, 240, 44, 112]  // Z q M-p , p
        case .full: return Self.fullKeys
        case .keyboard: return Self.keyboardKeys
        }
    }

    /// Enter (More), k l j h u n b y, K L J H U N B Y, < > ., ^D (kick), e (eat), s (search).
    private static let taskKeys: [Int32] = [13, 107, 108, 106, 104, 117, 110, 98, 121, 75, 76, 74, 72, 85, 78, 66, 89,
                                            60, 62, 46, 4, 101, 115]
    private static let fullKeys: [Int32] = [
        107, 108, 106, 104, 117, 110, 98, 121, 75, 76, 74, 72, 85, 78, 66, 89, 60, 62, 46, 13, 225, 97, 24, 67, 90,
        227, 99, 228, 100, 68, 101, 69, 229, 27, 70, 102, 230, 105, 73, 233, 234, 4, 58, 236, 237, 109, 77, 239, 111,
        112, 44, 240, 80, 113, 81, 114, 82, 210, 242, 103, 71, 115, 91, 61, 40, 94, 41, 33, 243, 120, 84, 65, 116, 212,
        244, 88, 245, 118, 87, 119, 247, 122, 43, 34, 36, 32,
    ]
    /// NLE's order: the 8 directions, the 8 long directions, < > ., Enter, every command (NLE's
    /// `Command`, in its order), then the text characters + - space ' " 0–9 $.
    private static let keyboardKeys: [Int32] = [
        107, 108, 106, 104, 117, 110, 98, 121, 75, 76, 74, 72, 85, 78, 66, 89, 60, 62, 46, 13, 35, 191, 225, 193, 97,
        24, 64, 67, 90, 227, 99, 195, 228, 100, 68, 101, 69, 229, 27, 70, 102, 230, 59, 86, 105, 73, 233, 234, 4, 92,
        96, 58, 236, 237, 109, 77, 239, 111, 79, 15, 112, 44, 240, 80, 113, 241, 81, 114, 18, 82, 210, 242, 103, 71,
        83, 115, 42, 34, 91, 36, 61, 43, 40, 94, 41, 33, 243, 120, 84, 65, 20, 116, 212, 95, 244, 88, 245, 246, 118,
        87, 38, 47, 119, 247, 122, 43, 45, 32, 39, 34, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 36,
    ]
}

/// Indices into NLE's 27 bottom-line statistics.
public enum NetHackStat {
    public static let x = 0, y = 1, score = 9, hitPoints = 10, maxHitPoints = 11, depth = 12, gold = 13
    public static let time = 20, hunger = 21, dungeonNumber = 23, dungeonLevel = 24
}

/// Glyph ranges of NetHack 3.6.6 as NLE numbers them.
public enum NetHackGlyph {
    /// Glyph ids are in 0..<count.
    public static let count = 5976
    /// Pets: petOffset ..< petOffset + monsterCount.
    public static let petOffset = 381, monsterCount = 381
    /// The Oracle's monster glyph.
    public static let oracle = 270
    /// Dark part of a room / solid rock: the first map symbol, shown where nothing is known.
    public static let stone = 2359
}
