import Foundation
import NetHack
import Testing
import YendorEnvironment
@testable import YendorRuntime

/// `env.max_episode_steps`: NLE's `max_episode_steps` (trial N: smoke runs and sweeps had no way to
/// change the tasks' own limits), for Dungeon and NLE; env servers' envs end episodes themselves.
@Suite("Episode step limit")
struct EpisodeStepLimitTests {
    static var nleAvailable: Bool { (try? NetHackLibrary.locate()) != nil }

    @Test(arguments: ["dungeon", "nle"])
    func episodesAreCutAtTheConfiguredStepCount(kind: String) throws {
        guard kind == "dungeon" || Self.nleAvailable else {
            print("SKIPPED (loudly): NLE is not installed (make deps); the nle case is not checked")
            return
        }
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(overrides: ["env.kind=\(kind)", "env.task=score", "env.max_episode_steps=7"], to: &c)
        try c.validate()
        let env = try c.environment.make(count: 2, seed: 5)
        var finished: [FinishedEpisode] = []
        // Action 0 for 14 steps: each env's episodes end at 7 (cut), unless the game ends one first.
        for step in 1...14 {
            try env.step(actions: [0, 0])
            finished += env.finishedEpisodes
            if step < 7 { #expect(finished.allSatisfy { !$0.truncated }, "cut before step 7 at \(step)") }
        }
        let cut = finished.filter(\.truncated)
        #expect(!cut.isEmpty && cut.allSatisfy { $0.length == 7 }, "\(finished.map { ($0.length, $0.truncated) })")
    }

    @Test func envServersAndSwiftEnvsRefuseItNamingTheField() throws {
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(overrides: ["env.kind=server", "env.servers=tcp://127.0.0.1:1",
                                                          "env.server_spec=\(c.observationSpec.fingerprint)", "env.max_episode_steps=7"], to: &c)
        #expect { try c.validate() } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field == "env.max_episode_steps" && e.problem.contains("max_episode_steps=N")
        }
        var negative = TrainingConfiguration()
        try TrainingConfiguration.table.apply(overrides: ["env.max_episode_steps=-1"], to: &negative)
        #expect(throws: ConfigurationError.self) { try negative.validate() }
    }
}
