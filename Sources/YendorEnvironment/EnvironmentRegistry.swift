import Synchronization

/// The Swift environments this process knows (`env.kind: swift`): registered by the program before
/// it runs `Yendor.runCommandLine()`, looked up by task name when a run is configured and when rollout actors
/// make their envs.
public enum EnvironmentRegistry {
    private static let registered = Mutex<[String: SwiftEnvironment]>([:])

    /// Why an environment cannot be registered or found.
    public struct RegistryError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// Adds `environment`; refuses a name already taken, a name that is not one word, and a spec
    /// that does not validate (said now, not at the first rollout).
    public static func register(_ environment: SwiftEnvironment) throws {
        let name = environment.name
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == "," }) else {
            throw RegistryError(message: "a Swift environment's name must be one word, got '\(name)'")
        }
        do { try environment.spec.validate() } catch {
            throw RegistryError(message: "Swift environment '\(name)' declares a spec that does not hold: \(error)")
        }
        try registered.withLock { table in
            guard table[name] == nil else { throw RegistryError(message: "a Swift environment named '\(name)' is already registered") }
            table[name] = environment
        }
    }

    /// The environment registered as `name`; the error lists the registered names (or says this
    /// program registered none: the `yendor` executable has no Swift environments of its own).
    public static func environment(named name: String) throws -> SwiftEnvironment {
        try registered.withLock { table in
            if let environment = table[name] { return environment }
            guard !table.isEmpty else {
                throw RegistryError(message: "no Swift environment named '\(name)': this program registered none (env.kind swift is for a program that registers its own and runs Yendor's command line, docs/environments.md)")
            }
            throw RegistryError(message: "no Swift environment named '\(name)'; registered: \(table.keys.sorted().joined(separator: ", "))")
        }
    }

    /// The registered names, sorted.
    public static var names: [String] { registered.withLock { $0.keys.sorted() } }

    /// Forgets `name` (tests register and remove their own).
    public static func remove(_ name: String) { _ = registered.withLock { $0.removeValue(forKey: name) } }
}
