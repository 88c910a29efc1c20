import Dungeon
import Foundation
import Testing
import YendorEnvironment
@testable import YendorRuntime

/// `env.kind: swift`: environments a Swift program registers (`EnvironmentRegistry`) are configured
/// from their registration. Names are unique per test: the registry is the process's.
struct SwiftEnvironmentTests {
    static func registration(_ name: String, spec: ObservationSpec = .dungeon(rows: 11, columns: 21, cropSize: 3),
                             goal: Goal = .stairs, definesSuccess: Bool = false) -> SwiftEnvironment {
        SwiftEnvironment(name: name, spec: spec, goal: goal, definesSuccess: definesSuccess) { count, seed in
            try VectorEnv(task: "score", count: count, seed: seed, configuration: .init(spec: spec))
        }
    }

    static func uniqueName(_ stem: String) -> String { "\(stem)-\(UUID().uuidString.prefix(8))" }

    @Test func aRunOfARegisteredEnvironmentTakesItsSpecGoalAndSuccessFromTheRegistration() throws {
        let name = Self.uniqueName("grid")
        let spec = ObservationSpec.dungeon(rows: 11, columns: 21, cropSize: 3)
        try EnvironmentRegistry.register(Self.registration(name, spec: spec, goal: .custom("open the vault"), definesSuccess: false))
        defer { EnvironmentRegistry.remove(name) }
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(overrides: ["env.kind=swift", "env.task=\(name)"], to: &c)
        try c.validate()
        #expect(c.observationSpec == spec)
        #expect(c.resolvedLearner.policy.observation == spec)
        #expect(c.resolvedGoal == .custom("open the vault"))
        #expect(!c.taskDefinesSuccess)
        // What rollout actors make is the registered env, checked against the spec.
        let env = try c.environment.make(count: 3, seed: 5)
        #expect(env.count == 3 && env.spec == spec)
    }

    @Test func anUnregisteredNameIsRefusedUnderEnvTaskNamingTheRegisteredOnes() throws {
        let name = Self.uniqueName("known")
        try EnvironmentRegistry.register(Self.registration(name))
        defer { EnvironmentRegistry.remove(name) }
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(overrides: ["env.kind=swift", "env.task=unknwon"], to: &c)
        let error = try #require(throws: ConfigurationError.self) { try c.validate() }
        #expect(error.field == "env.task")
        #expect(error.problem.contains("no Swift environment named 'unknwon'") && error.problem.contains(name), "\(error)")
    }

    @Test func aNameTakenASpecThatDoesNotHoldOrANameOfTwoWordsIsRefusedAtRegistration() throws {
        let name = Self.uniqueName("taken")
        try EnvironmentRegistry.register(Self.registration(name))
        defer { EnvironmentRegistry.remove(name) }
        let taken = try #require(throws: EnvironmentRegistry.RegistryError.self) { try EnvironmentRegistry.register(Self.registration(name)) }
        #expect(taken.message.contains("already registered"))
        var bad = ObservationSpec.dungeon(rows: 11, columns: 21, cropSize: 3)
        bad.actionCount = 1
        let spec = try #require(throws: EnvironmentRegistry.RegistryError.self) {
            try EnvironmentRegistry.register(Self.registration(Self.uniqueName("bad"), spec: bad))
        }
        #expect(spec.message.contains("actionCount"), "\(spec)")
        #expect(throws: EnvironmentRegistry.RegistryError.self) { try EnvironmentRegistry.register(Self.registration("two words")) }
    }

    @Test func anEnvironmentMadeWithAnotherSpecThanItsRegistrationIsRefusedNamingBoth() throws {
        let name = Self.uniqueName("liar")
        let declared = ObservationSpec.dungeon(rows: 11, columns: 21, cropSize: 3)
        try EnvironmentRegistry.register(SwiftEnvironment(name: name, spec: declared) { count, seed in
            try VectorEnv(task: "score", count: count, seed: seed, configuration: .init(spec: .dungeon(rows: 11, columns: 21, cropSize: 5)))
        })
        defer { EnvironmentRegistry.remove(name) }
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(overrides: ["env.kind=swift", "env.task=\(name)"], to: &c)
        let error = try #require(throws: (any Error).self) { _ = try c.environment.make(count: 1, seed: 1) }
        #expect("\(error)".contains("crop=5") && "\(error)".contains("crop=3"), "\(error)")
    }
}
