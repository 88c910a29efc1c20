import Foundation

/// Maps the sentences of a NetHack (or Dungeon) message line to `MessageEvent`s, by rules about
/// what the message is about: items, monsters, doors, staircases, the player's state, pets and
/// other monsters. Part of the lexicon STAND-IN for an LLM (`LexiconLabeler`).
///
/// The rules are categories and sentence shapes from NetHack's own message formats (who the
/// subject is, what an inventory line looks like, which object classes are valuable), not a
/// list of captions; docs/annotator.md lists them and measures them on real NLE messages.
/// Everything is matched on the lower-cased sentence.
public enum MessageClassifier {
    /// The sentences of a message line: NetHack (and Dungeon) join messages with two spaces.
    public static func sentences(_ caption: String) -> [String] {
        caption.lowercased().components(separatedBy: "  ")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// One event per sentence of `caption`.
    public static func events(in caption: String) -> [MessageEvent] {
        sentences(caption).map(event(ofLowercased:))
    }

    /// The event one sentence reports.
    public static func event(of sentence: String) -> MessageEvent {
        event(ofLowercased: sentence.lowercased().trimmingCharacters(in: .whitespaces))
    }

    // The order matters: a rumour that mentions a trap door is still a rumour, a pet that
    // picks up gold is still the pet acting, a door that opens is an event even though its
    // sentence starts with "The".
    static func event(ofLowercased s: String) -> MessageEvent {
        if isQuotedText(s) { return .neutral }
        if let e = badDeedOrDeath(s) { return e }
        if isOracleSign(s) { return .oracleSign }
        if isPrompt(s) { return .neutral }
        if let e = stairs(s) { return e }
        if opensAWay(s) { return .openedWay }
        // "a gold piece." is a pick-up line, not a monster called "a gold piece" doing something.
        if isGold(s) { return .gainedGold }
        if isSomeoneElseActing(s) { return s.contains("your powerful strike") ? .hitMonster : .neutral }
        if let e = item(s) { return e }
        if let e = fight(s) { return e }
        if let e = state(s) { return e }
        return .neutral
    }

    // MARK: - Texts, prompts and deeds

    /// Rumours, fortunes, engravings and shopkeepers' greetings: words read, not events.
    static func isQuotedText(_ s: String) -> Bool {
        s.hasPrefix("they say") || s.hasPrefix("\"") || s.contains("you read:") || s.contains("it reads:")
            || s.hasPrefix("this cookie has a scrap of paper")
    }

    /// Questions the game asks (they report nothing that happened yet).
    static func isPrompt(_ s: String) -> Bool {
        s.contains("[yn") || s.contains(" or ?*]") || s.hasPrefix("in what direction") || s.hasPrefix("what do you want to")
    }

    /// Killing your pet or a peaceful (NetHack says "poor", your god thunders, you feel guilty),
    /// hurting your pet (it yelps, yowls or whimpers) and dying: they spoil the whole line.
    static func badDeedOrDeath(_ s: String) -> MessageEvent? {
        if s.hasPrefix("you die") || s.contains(" you die") { return .death }
        let deeds = ["you kill the poor", "you destroy the poor", "you murderer", "rumble of distant thunder",
                     "you feel guilty", "is angry with you", "you hear the shrieks of anguish",
                     " yelps!", " yowls!", " whimpers"]
        return deeds.contains(where: s.contains) ? .badDeed : nil
    }

    // MARK: - The Oracle

    /// The sounds of the Oracle's level, as NetHack's sounds.c prints them.
    static let delphiSounds = ["a strange wind", "convulsive ravings", "snoring snakes", "no more woodchucks", "a loud zot"]

    static func isOracleSign(_ s: String) -> Bool {
        if words(s).contains("oracle") || s.contains("delphi") || s.contains("old seer") { return true }
        if s.contains("centaur") && s.contains("statue") { return true }
        return s.hasPrefix("you hear") && delphiSounds.contains(where: s.contains)
    }

    // MARK: - Staircases and levels

    static func stairs(_ s: String) -> MessageEvent? {
        let deeper = ["you descend", "climb down the stairs", "down the stairs", "never been this deep",
                      "trap door opens up under you", "fall through a trap door", "fall through a hole",
                      "gaping hole under you", "you fly down", "you float down"]
        if deeper.contains(where: s.contains) { return .wentDeeper }
        let down = ["staircase down", "stairs down", "ladder down"]
        if down.contains(where: s.contains) && (s.hasPrefix("there is") || s.contains(" here")) { return .downStairsHere }
        // A trap door or hole found or escaped is a way down right here: `>` jumps in.
        let holes = ["a trap door", "a hole"]
        let found = ["you find ", "you escape ", "there is "]
        if found.contains(where: s.hasPrefix) && holes.contains(where: s.contains) && !s.contains("ceiling") { return .downStairsHere }
        return nil
    }

    // MARK: - Doors and the way forward

    static func opensAWay(_ s: String) -> Bool {
        let phrases = ["the door opens", "door crashes open", "it crashes open", "shatters to pieces", "you unlock",
                       "you succeed in picking the lock", "you succeed in forcing the lock", "you break open the lock",
                       "you open the door", "you find a hidden door", "you find a hidden passage", "you kick open a secret",
                       "you enter a lit room", "you enter a dark room"]
        return phrases.contains(where: s.contains)
    }

    // MARK: - Pets and other monsters

    /// Sentences whose subject is not you: a pet or another monster acting ("The kitten picks
    /// up a gold piece.", "The jackal is killed!", "Your leg feels better."), or you being
    /// stopped by one. The agent did nothing it should repeat.
    static func isSomeoneElseActing(_ s: String) -> Bool {
        let subjects = ["the ", "a ", "an ", "your ", "it ", "its ", "some "]
        return subjects.contains(where: s.hasPrefix) || s.contains(" blocks your path") || s.hasPrefix("you swap places")
            || s.hasPrefix("you stop.") || s.hasPrefix("really attack")
    }

    // MARK: - Items and gold

    /// Object classes a player is glad to carry away: their items can be identified, sold, or
    /// used to survive deeper (NLE's autopickup takes gold, scrolls, potions and wands).
    static let valuableClasses: Set<String> = [
        "potion", "potions", "scroll", "scrolls", "wand", "wands", "ring", "rings",
        "amulet", "amulets", "spellbook", "spellbooks", "gem", "gems",
    ]

    static func item(_ s: String) -> MessageEvent? {
        // Gold seen under you, heard being counted, or guarded in a vault.
        let goldSounds = ["counting money", "footsteps of a guard on patrol", "ebenezer scrooge"]
        if s.hasPrefix("you hear") { return goldSounds.contains(where: s.contains) ? .goldNearby : .neutral }
        if s.hasPrefix("you see here ") || s.hasPrefix("you feel here ") {
            return isGold(String(s.dropFirst("you see here ".count))) ? .goldNearby : .neutral
        }
        // An inventory line: "$ - 5 gold pieces.", "k - a scroll labeled ZELGO MER."
        if let what = inventoryItem(s) {
            if what.contains("unpaid") || what.contains("for sale") { return .neutral }
            if isGold(what) { return .gainedGold }
            let w = words(what)
            if w.contains(where: valuableClasses.contains) && !what.contains("ring mail") { return .gainedValuable }
            return .neutral
        }
        return nil
    }

    /// `x - <item>`: an item just went into the pack under letter x (or `$` for gold).
    static func inventoryItem(_ s: String) -> String? {
        guard s.count > 4, let first = s.first, first.isLetter || first == "$" else { return nil }
        let rest = s.dropFirst()
        guard rest.hasPrefix(" - ") else { return nil }
        return String(rest.dropFirst(3))
    }

    /// "5 gold pieces.", "a gold piece": also the bare pick-up line of Dungeon and of ONI's
    /// prompt example.
    static func isGold(_ text: String) -> Bool {
        let w = text.split(separator: " ")
        guard w.count >= 3, w[0] == "a" || w[0].allSatisfy(\.isNumber) else { return false }
        return w[1] == "gold" && w[2].hasPrefix("piece")
    }

    // MARK: - Fighting

    /// Things you may kick that are not monsters.
    static let kickedThings = ["fountain", "door", "boulder", "sink", "altar", "throne", "tree", "stairs", "wall", "at empty space", "at empty air"]

    static func fight(_ s: String) -> MessageEvent? {
        if s.hasPrefix("you kill") || s.hasPrefix("you destroy") { return .killedMonster }
        if s.hasPrefix("welcome to experience level") || s.hasPrefix("you feel more experienced") { return .levelUp }
        if s.hasPrefix("you feel more confident in your") { return .combatSkill }
        let hits = ["you hit", "you smite", "you bite", "you strike", "you bash", "you sting", "you butt"]
        if hits.contains(where: s.hasPrefix) { return .hitMonster }
        if s.hasPrefix("you kick ") {
            return kickedThings.contains(where: s.contains) ? .neutral : .hitMonster
        }
        return nil
    }

    // MARK: - The player's state

    /// Hunger, fainting, wounds healing, abilities changing: the player's condition. None of
    /// it is progress toward a goal (losing it is bad, regaining it only undoes a loss).
    static func state(_ s: String) -> MessageEvent? {
        let conditions = ["hungry", "weak", "faint", "regain consciousness", "feels better", "you feel", "you are"]
        return conditions.contains(where: s.contains) ? .neutral : nil
    }

    static func words(_ s: String) -> [String] {
        s.split { !$0.isLetter }.map(String.init)
    }
}
