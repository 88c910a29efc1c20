import Foundation
import Testing
import YendorEnvironment
@testable import YendorRollout

/// A Swift environment's steps are checked against the `VectorEnvironment` contract: a broken
/// promise stops the worker naming the environment and what broke (it trapped in the recorder, or
/// the learner refused the worker's trajectories until it evicted it).
struct CheckedVectorEnvironmentTests {
    static let spec = ObservationSpec(environment: "scripted", mapRows: 3, mapColumns: 4, cropSize: 3, glyphCount: 5,
                                      blstatsCount: 1, captionBytes: 8, actionCount: 2)

    /// Two envs whose every step is what `script` writes (after a well-formed default: no reward,
    /// no episode end, empty captions counted once).
    final class ScriptedEnvironment: BufferedVectorEnvironment {
        let spec = CheckedVectorEnvironmentTests.spec
        let count = 2
        let taskName = "scripted"
        let buffers = EnvironmentBuffers(spec: CheckedVectorEnvironmentTests.spec, count: 2)
        var finishedEpisodes: [FinishedEpisode] = []
        let script: @Sendable (EnvironmentBuffers, inout [FinishedEpisode]) -> Void
        init(_ script: @escaping @Sendable (EnvironmentBuffers, inout [FinishedEpisode]) -> Void) {
            self.script = script
            for i in 0..<count { buffers.captionCount[i] = 1 }
        }
        func reset() throws {}
        func step(actions: UnsafeBufferPointer<Int32>) throws {
            finishedEpisodes = []
            for i in 0..<count { buffers.clearOutcome(i); buffers.captionCount[i] = 1 }
            script(buffers, &finishedEpisodes)
        }
    }

    static func episode(env: Int, caption: String = "", return episodeReturn: Float = 1) -> FinishedEpisode {
        FinishedEpisode(envIndex: env, task: "scripted", episodeReturn: episodeReturn, length: 3, success: true, truncated: false,
                        seed: 0, deepest: 0, score: 0, lastCaption: caption, lastCaptionCount: 1)
    }

    /// Registers `script` under a fresh name and makes its envs as rollout actors do.
    static func make(_ script: @escaping @Sendable (EnvironmentBuffers, inout [FinishedEpisode]) -> Void) throws -> (any VectorEnvironment, String) {
        let name = "scripted-\(UUID().uuidString.prefix(8))"
        try EnvironmentRegistry.register(SwiftEnvironment(name: name, spec: spec) { _, _ in ScriptedEnvironment(script) })
        return (try EnvironmentConfiguration(kind: .swift, task: name, spec: spec).make(count: 2, seed: 1), name)
    }

    static let faults: [(String, @Sendable (EnvironmentBuffers, inout [FinishedEpisode]) -> Void)] = [
        ("finishedEpisodes[0]: envIndex 7 is outside 0..<2", { b, e in b.done[0] = 1; e = [episode(env: 7)] }),
        ("done[1] is set but no finished episode reports env 1", { b, _ in b.done[1] = 1 }),
        ("finishedEpisodes[0]: env 0's done flag is not set", { _, e in e = [episode(env: 0)] }),
        ("finishedEpisodes[1]: env 0 reported a second episode", { b, e in b.done[0] = 1; e = [episode(env: 0), episode(env: 0)] }),
        ("finishedEpisodes[0]: return nan is not finite", { b, e in b.done[0] = 1; e = [episode(env: 0, return: .nan)] }),
        ("reward[1] = nan is not finite", { b, _ in b.reward[1] = .nan }),
        ("truncated[0] is set without done[0]", { b, _ in b.truncated[0] = 1 }),
        ("crop of env 1, row 2, column 0: glyph id 5 is outside the spec's 0..<5", { b, _ in b.crop[9 + 6] = 5 }),
        ("glyphs of env 0, row 1, column 3: glyph id -1 is outside", { b, _ in b.glyphs[7] = -1 }),
        ("captionLength[0] = 9, outside the spec's 0...8", { b, _ in b.captionLength[0] = 9 }),
        ("captionCount[1] = 0", { b, _ in b.captionCount[1] = 0 }),
    ]

    @Test(arguments: faults.indices)
    func aSwiftEnvironmentThatBreaksTheContractIsStoppedNamingWhatBroke(fault: Int) throws {
        let (expected, script) = Self.faults[fault]
        let (env, name) = try Self.make(script)
        defer { EnvironmentRegistry.remove(name) }
        let error = try #require(throws: RolloutError.self) { try env.step(actions: [0, 1]) }
        #expect("\(error)".contains("Swift environment '\(name)' broke the VectorEnvironment contract: \(expected)"), "\(error)")
    }

    @Test func aWellBehavedStepPassesAndALastCaptionOverTheCapacityIsCutAsAnEnvServersIs() throws {
        let (env, name) = try Self.make { b, e in
            b.done[1] = 1
            b.reward[1] = 1
            e = [Self.episode(env: 1, caption: "You reach the exit!")]
        }
        defer { EnvironmentRegistry.remove(name) }
        try env.step(actions: [0, 1])
        #expect(env.finishedEpisodes.map(\.lastCaption) == ["You reac"])
        #expect(env.reward[1] == 1 && env.done[1] == 1)
    }

    @Test func aMakeThatThrowsOrMakesAnotherSpecIsSaidNamingTheEnvironmentAndTheField() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "no room" } }
        let throwing = "throwing-\(UUID().uuidString.prefix(8))"
        try EnvironmentRegistry.register(SwiftEnvironment(name: throwing, spec: Self.spec) { _, _ in throw Refused() })
        defer { EnvironmentRegistry.remove(throwing) }
        let thrown = try #require(throws: RolloutError.self) { _ = try EnvironmentConfiguration(kind: .swift, task: throwing, spec: Self.spec).make(count: 2, seed: 1) }
        #expect("\(thrown)" == "Swift environment '\(throwing)' broke the VectorEnvironment contract: make(2, seed) threw: no room")
        // Registered with 5 glyphs, made with 6.
        let liar = "liar-\(UUID().uuidString.prefix(8))"
        var declared = Self.spec
        declared.glyphCount = 6
        try EnvironmentRegistry.register(SwiftEnvironment(name: liar, spec: declared) { _, _ in ScriptedEnvironment { _, _ in } })
        defer { EnvironmentRegistry.remove(liar) }
        let mismatch = try #require(throws: RolloutError.self) { _ = try EnvironmentConfiguration(kind: .swift, task: liar, spec: declared).make(count: 2, seed: 1) }
        #expect("\(mismatch)".hasPrefix("Swift environment '\(liar)' made envs that declare glyphs=5 where glyphs=6 was expected"), "\(mismatch)")
    }
}
