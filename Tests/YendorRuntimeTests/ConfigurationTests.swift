import Foundation
import Testing
@testable import YendorRuntime

@Suite("Configuration")
struct ConfigurationTests {
    let table = TrainingConfiguration.table

    @Test func yamlThenOverridesApplyInOrder() throws {
        var c = TrainingConfiguration()
        try table.apply(yaml: """
            env:
              task: keyroom
              envs: 8
            learner:
              learning_rate: 0.001
            model:
              conv_channels: [8, 8]
            """, source: "test.yaml", to: &c)
        #expect(c.task == "keyroom" && c.envsPerActor == 8)
        #expect(c.learner.learningRate == 0.001)
        #expect(c.learner.policy.convolutionChannels == [8, 8])
        try table.apply(overrides: ["env.envs=16", "run.total_steps=1_000"], to: &c)
        #expect(c.envsPerActor == 16 && c.totalSteps == 1000)
        try c.validate()
    }

    @Test func unknownKeysAndBadValuesNameTheField() {
        var c = TrainingConfiguration()
        #expect(throws: ConfigurationError.self) { try table.apply(overrides: ["learner.learnin_rate=0.1"], to: &c) }
        do {
            try table.apply(overrides: ["learner.learnin_rate=0.1"], to: &c)
        } catch let e as ConfigurationError {
            #expect(e.field == "learner.learnin_rate" && e.problem.contains("unknown") && e.problem.contains("learner.learning_rate"))
        } catch { Issue.record("wrong error \(error)") }
        do {
            try table.apply(yaml: "env:\n  envs: many\n", source: "bad.yaml", to: &c)
        } catch let e as ConfigurationError {
            #expect(e.field == "env.envs" && e.source == "bad.yaml" && e.problem.contains("integer"))
        } catch { Issue.record("wrong error \(error)") }
        #expect(throws: ConfigurationError(field: "env", problem: "expected key=value", source: "--set")) {
            try table.apply(overrides: ["env"], to: &c)
        }
    }

    @Test func validationNamesTheFirstBadField() {
        var c = TrainingConfiguration()
        c.envsPerActor = 0
        #expect(throws: ConfigurationError(field: "env.envs", problem: "must be at least 1")) { try c.validate() }
        c = TrainingConfiguration()
        c.task = "nethack"
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "env.task" }
        c = TrainingConfiguration()
        c.transport.trajectories = "http://x"
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "transport.trajectories" }
    }

    @Test func resolvedYamlReadsBackToTheSameConfiguration() throws {
        var c = TrainingConfiguration()
        c.task = "oracle"
        c.learner.entropyCoefficient = 0.02
        c.transport.weights = "tcp://0.0.0.0:6000"
        let yaml = table.yaml(c)
        var back = TrainingConfiguration()
        try table.apply(yaml: yaml, source: "resolved", to: &back)
        #expect(table.yaml(back) == yaml)
        #expect(back.task == "oracle" && back.learner.entropyCoefficient == 0.02)
    }

    @Test func membershipTracksJoinsLeavesAndTimeouts() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        let first = m.hello(.init(role: "worker", id: "a"), now: 0)
        let again = m.hello(.init(role: "worker", id: "a"), now: 1)
        let second = m.hello(.init(role: "worker", id: "b"), now: 1)
        #expect(first && !again && second)
        m.seen("b", now: 2.5)
        let pruned = m.prune(now: 3.5)
        #expect(pruned == ["a"])
        m.goodbye("b")
        #expect(m.count == 0 && m.joins == 2 && m.leaves == 1 && m.timeouts == 1)
    }

    @Test func membershipDoesNotCountSilenceWhileTheLearnerIsNotListening() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        m.hello(.init(role: "worker", id: "a"), now: 0)
        m.hello(.init(role: "worker", id: "b"), now: 0)
        // The learner waits for room in its buffer from t=1 to t=11: 10 s in which nobody can be heard.
        m.stopListening(now: 1)
        m.stopListening(now: 5)  // a second pause while paused changes nothing
        #expect(m.prune(now: 10).isEmpty)
        m.startListening(now: 11)
        m.seen("b", now: 11.5)
        // 1 s listened before the pause, 1.5 s after it: 2.5 s of silence for a; 0 for b.
        #expect(m.prune(now: 12.5) == ["a"])
        #expect(m.prune(now: 13.4).isEmpty)  // b: 1.9 s of listening since it was seen
        #expect(m.prune(now: 13.6) == ["b"])
        #expect(m.timeouts == 2)
    }

    @Test func aSilentMemberTimesOutWhileOthersKeepTheBackpressuredLearnerReading() {
        var m = Membership(timeout: 2, inboxCapacity: 2)
        m.hello(.init(role: "worker", id: "a"), now: 0)
        m.hello(.init(role: "worker", id: "b"), now: 0)
        // Backpressure all along: the listening clock never runs, but b's trajectories are read.
        m.stopListening(now: 0)
        // Many reads in the first second are not silence: a's own wall-clock silence is under 2 s.
        for _ in 0..<20 { m.seen("b", now: 0.5) }
        #expect(m.prune(now: 1).isEmpty)
        // The bar is 2 × (inbox 2 + 2 connections × 2 members) = 12 reads since a's last message.
        m.seen("a", now: 3)
        for t in 4...14 { m.seen("b", now: Double(t)) }
        #expect(m.prune(now: 14.5).isEmpty)  // 11 reads: a message from a could still be queued
        m.seen("b", now: 15)
        #expect(m.prune(now: 15.5) == ["a"])
        #expect(m.count == 1 && m.timeouts == 1)
    }
}
