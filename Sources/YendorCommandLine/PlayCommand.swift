import ArgumentParser
import Dungeon
import Foundation
import NetHack
import YendorRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `yendor play`: play a Dungeon task in the terminal with NetHack keys, or replay a recording.
struct PlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Play a Dungeon task with NetHack keys (hjklyubn . s , > < o c K e q a P :), or replay a recorded episode; --env nle plays real NetHack.",
        discussion: """
            Door actions and kicks act on the square you last moved (or tried to move) towards.
            Q quits. With --record FILE the episode (task, seed, actions) is saved on quit or when it ends;
            --replay FILE shows a recorded episode step by step.
            """
    )

    @Option(name: .long, help: "dungeon (Yendor's game) or nle (real NetHack: every NetHack key, Ctrl-] leaves); gym:ENV_ID is for train and bench env.")
    var env: EnvironmentChoice = .dungeon

    @Option(name: .long, help: "Task name (Dungeon: \(TaskRegistry.names.joined(separator: ", ")); NLE: \(NetHackTask.all.map(\.name).joined(separator: ", "))).")
    var task: String = "score"

    @Option(name: .long, help: "Episode seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Save the episode to this file (JSON).")
    var record: String?

    @Option(name: .long, help: "Replay a recorded episode from this file instead of playing.")
    var replay: String?

    @Option(name: .long, help: "Milliseconds between replayed steps.")
    var delay: Int = 150

    /// An unknown task is a usage error, said before the terminal is taken over.
    func validate() throws {
        if delay < 0 { throw ValidationError("--delay must be 0 or more milliseconds, got \(delay)") }
        do {
            switch env {
            case .dungeon where replay == nil: _ = try TaskRegistry.task(named: task)
            case .nle: _ = try NetHackTask.named(task)
            default: break
            }
        } catch {
            throw ValidationError("--task: \(error)")
        }
    }

    func run() throws {
        switch env {
        case .dungeon: break
        case .nle:
            // Recordings hold Dungeon actions and replay a Dungeon game: refused, not ignored.
            if record != nil || replay != nil {
                throw ValidationError("--record and --replay are for --env dungeon; yendor play --env nle plays NetHack live")
            }
            try NetHackPlay(task: task, seed: seed).run()
            return
        case .gym, .swift:
            throw ValidationError("--env \(env): yendor play hosts dungeon and nle; play this env with its own tools")
        }
        if let replay {
            let recording = try EpisodeRecording.read(from: URL(fileURLWithPath: replay))
            let player = recording.player.map { ", played by \($0.summary)" } ?? ""
            try recording.replay { game, step in
                print(Renderer.ansi(of: game) + "[replay \(recording.task) seed \(recording.seed) step \(step)/\(recording.actions.count)\(player)]")
                usleep(useconds_t(min(delay, 60_000) * 1000))
            }
            return
        }
        let dungeonTask = try TaskRegistry.task(named: task)
        var game = Game(configuration: dungeonTask.gameConfiguration(), seed: seed)
        var recording = EpisodeRecording(task: task, seed: seed)
        var previousScore = game.score
        var succeeded = false
        var steps = 0
        var ended = ""
        let terminal = RawTerminal()
        defer { terminal.restore() }
        while true {
            let help = "move hjklyubn  . wait  s search  , pick up  > < stairs  o c open/close  K kick  e eat  q quaff  a apply key  P pray  : look  Q quit"
            print(Renderer.ansi(of: game) + "[\(task) seed \(seed) step \(steps)] \(ended.isEmpty ? help : ended)",
                  terminator: "\r\n")
            if !ended.isEmpty { break }
            guard let key = terminal.readKey() else { break }
            if key == "Q" || key == "\u{03}" { break }  // Q, or ^C (a key in raw mode)
            let mapped: Character = key == "\u{04}" ? "K" : (key == "#" ? "P" : key)
            guard let action = Action(key: mapped) else { continue }
            game.step(action)
            recording.actions.append(action.rawValue)
            steps += 1
            let outcome = dungeonTask.evaluate(game: game, previousScore: previousScore, alreadySucceeded: succeeded)
            previousScore = game.score
            succeeded = outcome.success
            if outcome.terminal {
                ended = game.isDead ? "You died. Episode over." : "Goal reached! Episode over."
            } else if steps >= dungeonTask.stepLimit {
                ended = "Step limit reached. Episode over."
            }
        }
        terminal.restore()
        if let record {
            do { try recording.write(to: URL(fileURLWithPath: record)) } catch { throw RunDirectory.Unwritable(record, error) }
            print("Recorded \(recording.actions.count) actions to \(record)")
        }
    }
}

/// Puts the terminal in raw mode (keys without Enter, no echo, and ^C ^Z ^\ as keys rather than
/// signals, so no signal ends the process with the terminal left raw) and restores it.
final class RawTerminal {
    private var original = termios()
    private var active = false

    init() {
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &original) == 0 else { return }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        active = true
    }

    func readKey() -> Character? {
        var byte: UInt8 = 0
        while true {
            let n = read(STDIN_FILENO, &byte, 1)
            if n <= 0 { return nil }
            if byte == 10 || byte == 13 { continue }
            return Character(UnicodeScalar(byte))
        }
    }

    /// The next raw byte (every key, Enter included); nil at end of input.
    func readByte() -> UInt8? {
        var byte: UInt8 = 0
        return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
    }

    func restore() {
        guard active else { return }
        tcsetattr(STDIN_FILENO, TCSANOW, &original)
        active = false
    }
}
