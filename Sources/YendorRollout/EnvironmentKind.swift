import Dungeon
import Logging
import NetHack
import RemoteEnvironment
import YendorEnvironment
import YendorSupport
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
    /// Steps after which an episode is cut (kinds `dungeon` and `nle`); nil: the task's own limit.
    public var stepLimit: Int?
    /// Environment servers, or slices of them, this actor steps (kind `server`).
    public var servers: [EnvServerSlice] = []
    /// Seconds without a reply after which a server counts as gone.
    public var serverTimeout: Double = 10
    /// Wait for a server that does not answer when the envs are made (a worker started before its
    /// env servers) instead of failing after `serverTimeout`.
    public var waitForServers = false

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
    /// context and a logger for their failures; `stop` ends a wait for them (`waitForServers`).
    public func make(count: Int, seed: UInt64, context: Context? = nil, logger: Logger? = nil,
                     stop: StopFlag = StopFlag()) throws -> any VectorEnvironment {
        let env: any VectorEnvironment
        switch kind {
        case .dungeon:
            env = try VectorEnv(task: task, count: count, seed: seed,
                                configuration: .init(spec: spec, writeFullMap: writeFullMap, stepLimit: stepLimit))
        case .nle:
            let library = try NetHackLibrary.locate(explicit: nleDirectory)
            env = try NetHackVectorEnv(task: task, count: count, seed: seed, library: library,
                                       cropSize: spec.cropSize, writeFullMap: writeFullMap, stepLimit: stepLimit)
        case .server:
            guard let context, let logger else {
                throw RemoteEnvironmentError.serverUnavailable(endpoint: servers.map(\.description).joined(separator: ","), reason: "no ZeroMQ context given")
            }
            env = try RemoteVectorEnv(slices: servers, seed: seed, context: context, timeout: serverTimeout,
                                      expected: spec, waitingForServers: waitForServers, stop: stop, logger: logger)
        case .swift:
            let registered = try EnvironmentRegistry.environment(named: task)
            let made: any VectorEnvironment
            do { made = try registered.make(count, seed) } catch {
                throw RolloutError.environmentContract(name: task, problem: "make(\(count), seed) threw: \(error)")
            }
            guard made.spec == spec else {
                throw RolloutError.environmentSpecMismatch(made: made.spec.fingerprint, configured: spec.fingerprint, registered: task)
            }
            env = try CheckedVectorEnvironment(made, name: task)
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
    /// The environments made declare another spec than the configured one (for a Swift
    /// environment, `registered` names it: the spec it was registered with).
    case environmentSpecMismatch(made: String, configured: String, registered: String? = nil)
    /// A Swift environment broke the `VectorEnvironment` contract (`CheckedVectorEnvironment`).
    case environmentContract(name: String, problem: String)

    public var description: String {
        switch self {
        case .specMismatch(let environment, let policy):
            return "the environment's spec [\(environment)] differs from the policy's [\(policy)]"
        case .environmentSpecMismatch(let made, let configured, let registered):
            // The fields that differ, first: the fingerprints are long and alike.
            let differing = zip(made.split(separator: " "), configured.split(separator: " ")).filter { $0 != $1 }
                .map { "\($0.0) where \($0.1) was expected" }.joined(separator: ", ")
            let whose = registered.map { "Swift environment '\($0)' made envs that declare" } ?? "the environments made declare"
            let against = registered == nil ? "the configured" : "the one it was registered with"
            return "\(whose) \(differing.isEmpty ? "another spec" : differing): spec [\(made)], which differs from \(against) [\(configured)]"
        case .environmentContract(let name, let problem):
            return "Swift environment '\(name)' broke the VectorEnvironment contract: \(problem)"
        }
    }
}
