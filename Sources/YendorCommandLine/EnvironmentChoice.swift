import ArgumentParser
import YendorRollout

/// The value of `--env`, parsed once for `train`/`learner`/`worker`, `bench env` and `play`, so a
/// typo is refused with the same message everywhere and no command matches strings of its own.
enum EnvironmentChoice: ExpressibleByArgument, Equatable, CustomStringConvertible {
    /// Yendor's own game (the default).
    case dungeon
    /// Real NetHack, NLE's library hosted in the process.
    case nle
    /// A Gymnasium env id (`gym:MiniGrid-DoorKey-5x5-v0`), played through `yendor-env serve`.
    case gym(String)
    /// An environment the Swift program running Yendor registered (`swift:corridor`,
    /// `EnvironmentRegistry`); the name is the task.
    case swift(String)

    init?(argument: String) {
        switch argument {
        case "dungeon": self = .dungeon
        case "nle": self = .nle
        default:
            guard let (prefix, make) = [("gym:", Self.gym), ("swift:", Self.swift)].first(where: { argument.hasPrefix($0.0) }),
                  argument.count > prefix.count else { return nil }
            self = make(String(argument.dropFirst(prefix.count)))
        }
    }

    static var allValueStrings: [String] { ["dungeon", "nle", "gym:ENV_ID", "swift:NAME"] }

    var description: String {
        switch self {
        case .dungeon: return "dungeon"
        case .nle: return "nle"
        case .gym(let id): return "gym:\(id)"
        case .swift(let name): return "swift:\(name)"
        }
    }

    var defaultValueDescription: String { description }

    /// The worker's `env.kind`: Gymnasium envs are stepped through environment servers.
    var kind: EnvironmentKind {
        switch self {
        case .dungeon: return .dungeon
        case .nle: return .nle
        case .gym: return .server
        case .swift: return .swift
        }
    }
}
