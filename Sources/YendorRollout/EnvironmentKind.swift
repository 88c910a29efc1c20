import Dungeon
import Logging
import NetHack
import RemoteEnvironment
import YendorEnvironment
import ZeroMQ

/// Which environment family a worker hosts (`env.kind`).
public enum EnvironmentKind: String, Sendable, CaseIterable, Codable {
    /// Yendor's own NetHack-like game (the default and the quick start).
    case dungeon
    /// Real NetHack, NLE's library hosted inside the worker process.
    case nle
    /// Environments hosted by environment servers (`yendor-env serve`, e.g. Gymnasium envs).
    case server
    /// An environment the Swift program running Yendor registered (`EnvironmentRegistry`); the task
    /// is its name.
    case swift
}

/// What a rollout actor needs to make its environments.
public struct EnvironmentConfiguration: Sendable, Equatable {
    public var kind: EnvironmentKind
    /// Task name in the kind's registry (`yendor play --help`, docs/environments.md).
    public var task: String
    /// The spec the envs must produce (the learner admits only this one).
    public var spec: ObservationSpec
    /// Also write the full glyph map (only needed when it is shipped).
    public var writeFullMap: Bool
    /// NLE's package directory; nil searches (see `NetHackLibrary.locate`).
    public var nleDirectory: String?
    /// Environment servers, or slices of them, this actor steps (kind `server`).
    public var servers: [EnvServerSlice] = []
    /// Seconds without a reply after which a server counts as gone.
    public var serverTimeout: Double = 10

    public init(kind: EnvironmentKind = .dungeon, task: String, spec: ObservationSpec, writeFullMap: Bool = false,
                nleDirectory: String? = nil) {
        self.kind = kind
        self.task = task
        self.spec = spec
        self.writeFullMap = writeFullMap
        self.nleDirectory = nleDirectory
    }

    /// Makes `count` envs seeded from `seed` (a server decides its own count); throws when the task
    /// is unknown or the env's spec differs from `spec` (naming both). Servers need a ZeroMQ
    /// context and a logger for their failures.
    public func make(count: Int, seed: UInt64, context: Context? = nil, logger: Logger? = nil) throws -> any VectorEnvironment {
        let env: any VectorEnvironment
        switch kind {
        case .dungeon:
            env = try VectorEnv(task: task, count: count, seed: seed,
                                configuration: .init(spec: spec, writeFullMap: writeFullMap))
        case .nle:
            let library = try NetHackLibrary.locate(explicit: nleDirectory)
            env = try NetHackVectorEnv(task: task, count: count, seed: seed, library: library,
                                       cropSize: spec.cropSize, writeFullMap: writeFullMap)
        case .server:
            guard let context, let logger else {
                throw RemoteEnvironmentError.serverUnavailable(endpoint: servers.map(\.description).joined(separator: ","), reason: "no ZeroMQ context given")
            }
            env = try RemoteVectorEnv(slices: servers, seed: seed, context: context, timeout: serverTimeout,
                                      expected: spec, logger: logger)
        case .swift:
            env = try EnvironmentRegistry.environment(named: task).make(count, seed)
        }
        guard env.spec == spec else {
            throw RolloutError.environmentSpecMismatch(made: env.spec.fingerprint, configured: spec.fingerprint)
        }
        return env
    }
}

/// Why a rollout actor cannot start.
public enum RolloutError: Error, CustomStringConvertible, Equatable {
    /// The configured environment's spec is not the one the policy was built for.
    case specMismatch(environment: String, policy: String)
    /// The environments made declare another spec than the configured one.
    case environmentSpecMismatch(made: String, configured: String)

    public var description: String {
        switch self {
        case .specMismatch(let environment, let policy):
            return "the environment's spec [\(environment)] differs from the policy's [\(policy)]"
        case .environmentSpecMismatch(let made, let configured):
            return "the environments made declare spec [\(made)], which differs from the configured [\(configured)]"
        }
    }
}
