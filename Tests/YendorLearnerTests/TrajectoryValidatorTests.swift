import Foundation
import Testing
import YendorNN
import YendorWire
@testable import YendorLearner

/// The learner's admission check: every rule in docs/wire-protocol.md ("What the learner accepts")
/// rejects with its own reason, and a batch that passes trains without trapping.
@Suite("Trajectory validator")
struct TrajectoryValidatorTests {
    static let steps = 4, envs = 3, actions = 4
    static let spec = tinyPolicyConfiguration().observation  // crop 3, 8 glyphs, 2 blstats, 16-byte captions
    static let validator = TrajectoryValidator(rolloutLength: steps, actionCount: actions, spec: spec)

    /// A well-formed batch of the validator's sizes.
    static func valid(steps: Int = steps, envs: Int = envs, coreState: Int = 0) -> TrajectoryBatch {
        let rows = steps + 1, n = steps * envs, c = spec.cropSize
        var observations = [
            NamedArray(name: "crop", shape: [rows, envs, c, c], values: (0..<rows * envs * c * c).map { Int16($0 % spec.glyphCount) }),
            NamedArray(name: "blstats", shape: [rows, envs, spec.blstatsCount], values: (0..<rows * envs * spec.blstatsCount).map { Int32($0) - 5 }),
            NamedArray(name: "caption_index", shape: [rows, envs], values: (0..<rows * envs).map { Int32($0 % 2) }),
        ]
        if coreState > 0 {
            observations.append(NamedArray(name: "core_state", shape: [rows, envs, coreState], values: [Float](repeating: 0.5, count: rows * envs * coreState)))
        }
        return TrajectoryBatch(
            workerID: "w", task: "t", policyVersion: 3, steps: steps, envs: envs, observations: observations,
            actions: (0..<n).map { Int32($0 % actions) }, behaviourLogProbs: [Float](repeating: -1.2, count: n),
            values: [Float](repeating: 0.3, count: n), rewards: (0..<n).map { Float($0 % 3) - 1 },
            dones: (0..<n).map { $0 % 5 == 0 ? 1 : 0 }, truncated: [UInt8](repeating: 0, count: n),
            envIDs: (0..<envs).map(Int32.init), policyVersions: (0..<n).map { Int32($0 % 4) },
            captions: ["", "You kill the jackal!".prefix(16).description], captionIndex: (0..<n).map { Int32($0 % 2) },
            captionCount: [Int32](repeating: 1, count: n),
            episodes: [EpisodeSummary(env: 0, episodeReturn: 1.5, length: 12, success: true)])
    }

    /// The validator's verdict on `batch`. The same trajectory arriving as a frame from another
    /// process (read in place) must get the same verdict, whenever the wire layer lets the frame
    /// through at all (it refuses some of these corruptions itself).
    static func reason(_ batch: TrajectoryBatch, _ v: TrajectoryValidator = validator,
                       sourceLocation: SourceLocation = #_sourceLocation) -> TrajectoryValidator.Reason? {
        func verdict(_ t: ReceivedTrajectory) -> TrajectoryValidator.Reason? {
            do { try v.check(t) } catch { return error.reason }
            return nil
        }
        let asValue = verdict(.value(batch))
        if let frame = try? TrajectoryFrame(checking: batch.encoded()) {
            #expect(verdict(.frame(frame)) == asValue, "a frame and the value it encodes are judged alike", sourceLocation: sourceLocation)
        }
        return asValue
    }

    static func setObservation<T: WireScalar>(_ b: inout TrajectoryBatch, _ name: String, at index: Int, to value: T) {
        let i = b.observations.firstIndex { $0.name == name }!
        var values = b.observations[i].values(as: T.self)!
        values[index] = value
        b.observations[i] = NamedArray(name: name, shape: b.observations[i].shape, values: values)
    }

    @Test func aWellFormedBatchPasses() {
        #expect(Self.reason(Self.valid()) == nil)
    }

    @Test func aDifferentRolloutLengthIsRejected() {
        #expect(Self.reason(Self.valid(steps: 5)) == .rolloutLength)
    }

    @Test func actionsOutsideTheActionRangeAreRejected() {
        for bad: Int32 in [99, -5, Int32(Self.actions)] {
            var b = Self.valid()
            b.actions[7] = bad
            #expect(Self.reason(b) == .actionRange, "action \(bad)")
        }
    }

    @Test func nonFiniteOrHugeRewardsAreRejected() {
        for bad: Float in [.nan, .infinity, -.infinity, 1e7] {
            var b = Self.valid()
            b.rewards[2] = bad
            #expect(Self.reason(b) == .reward, "reward \(bad)")
        }
    }

    @Test func nonFiniteValuesAreRejected() {
        var b = Self.valid()
        b.values[0] = .nan
        #expect(Self.reason(b) == .value)
    }

    @Test func logProbabilitiesMustBeFiniteAndAtMostZero() {
        for bad: Float in [.nan, 0.5, -.infinity, .infinity] {
            var b = Self.valid()
            b.behaviourLogProbs[5] = bad
            #expect(Self.reason(b) == .logProb, "log-prob \(bad)")
        }
        var zero = Self.valid()
        zero.behaviourLogProbs[5] = 0  // a certain action
        #expect(Self.reason(zero) == nil)
    }

    @Test func glyphIdsOutsideTheVocabularyAreRejected() {
        for bad: Int16 in [30000, -7, Int16(Self.spec.glyphCount)] {
            var b = Self.valid()
            Self.setObservation(&b, "crop", at: 11, to: bad)
            #expect(Self.reason(b) == .glyphRange, "glyph \(bad)")
        }
    }

    @Test func observationCaptionIndicesOutsideTheTableAreRejected() {
        for bad: Int32 in [2, -1, 1_000_000] {
            var b = Self.valid()
            Self.setObservation(&b, "caption_index", at: 4, to: bad)
            #expect(Self.reason(b) == .captionIndex, "index \(bad)")
        }
        var empty = Self.valid()
        empty.captions = []
        #expect(Self.reason(empty) == .captionIndex)
    }

    @Test func captionsLongerThanTheCapacityAreRejected() {
        var b = Self.valid()
        b.captions[1] = String(repeating: "x", count: Self.spec.captionBytes + 1)
        #expect(Self.reason(b) == .captionLength)
        b.captions[1] = String(repeating: "é", count: Self.spec.captionBytes / 2)  // exactly the capacity in bytes
        #expect(Self.reason(b) == nil)
    }

    @Test func captionCountsBelowOneAndOversizedTablesAreRejected() {
        var b = Self.valid()
        b.captionCount[3] = 0
        #expect(Self.reason(b) == .captionCount)
        var big = Self.valid()
        big.captions += (0..<100).map { "c\($0)" }
        #expect(Self.reason(big) == .captionTable)
    }

    @Test func missingOrMisshapenObservationsAreRejectedAsShape() {
        var missing = Self.valid()
        missing.observations.removeAll { $0.name == "blstats" }
        #expect(Self.reason(missing) == .shape)
        var wrongType = Self.valid()
        let i = wrongType.observations.firstIndex { $0.name == "crop" }!
        wrongType.observations[i] = NamedArray(name: "crop", shape: wrongType.observations[i].shape,
                                               values: [Int32](repeating: 0, count: wrongType.observations[i].count))
        #expect(Self.reason(wrongType) == .shape)
        var short = Self.valid()
        short.rewards.removeLast()
        #expect(Self.reason(short) == .shape)
        var noEnvs = Self.valid()
        noEnvs.envs = 0
        #expect(Self.reason(noEnvs) == .shape)
    }

    @Test func coreStateMustMatchThePolicysCore() {
        var recurrent = Self.validator
        recurrent.coreStateSize = 5
        #expect(Self.reason(Self.valid(coreState: 5), recurrent) == nil)
        #expect(Self.reason(Self.valid(), recurrent) == .coreState)  // missing
        #expect(Self.reason(Self.valid(coreState: 4), recurrent) == .coreState)  // wrong size
        #expect(Self.reason(Self.valid(coreState: 5)) == .coreState)  // sent to a feed-forward policy
        var nan = Self.valid(coreState: 5)
        Self.setObservation(&nan, "core_state", at: 9, to: Float.nan)
        #expect(Self.reason(nan, recurrent) == .coreState)
        var huge = Self.valid(coreState: 5)
        Self.setObservation(&huge, "core_state", at: 9, to: Float(1e20))
        #expect(Self.reason(huge, recurrent) == .coreState)
    }

    @Test func policyVersionsMustBeNonNegativeAndAgreeWithTheBatchVersion() {
        var negative = Self.valid()
        negative.policyVersions[0] = -1
        #expect(Self.reason(negative) == .policyVersion)
        var header = Self.valid()
        header.policyVersion = UInt64(Int32.max) + 10
        #expect(Self.reason(header) == .policyVersion)
    }

    @Test func episodeSummariesMustBeFiniteAndAtLeastOneStepLong() {
        var nan = Self.valid()
        nan.episodes[0].episodeReturn = .nan
        #expect(Self.reason(nan) == .episode)
        var empty = Self.valid()
        empty.episodes[0].length = 0
        #expect(Self.reason(empty) == .episode)
    }

    @Test func behaviourLogitsMustHaveTheLearnersActionCount() {
        var b = Self.valid()
        b.actionCount = Self.actions + 1
        b.behaviourLogits = [Float](repeating: 0, count: Self.steps * Self.envs * (Self.actions + 1))
        #expect(Self.reason(b) == .logits)
        b.actionCount = Self.actions
        b.behaviourLogits = [Float](repeating: -1, count: Self.steps * Self.envs * Self.actions)
        #expect(Self.reason(b) == nil)
        b.behaviourLogits[3] = .nan
        #expect(Self.reason(b) == .logits)
        var short = Self.valid()
        short.actionCount = Self.actions
        short.behaviourLogits = [Float](repeating: -1, count: 5)
        #expect(Self.reason(short) == .logits, "logits of the wrong length")
        // Logits without an action count: a value only (encoding would leave the logits out).
        var unannounced = Self.valid()
        unannounced.behaviourLogits = [Float](repeating: -1, count: Self.steps * Self.envs * Self.actions)
        #expect(throws: TrajectoryValidator.Rejection(.logits, "behaviour_logits: \(Self.steps * Self.envs * Self.actions) values without an action count")) {
            try Self.validator.check(unannounced)
        }
    }

    @Test func aValueWithAnotherRolloutLengthIsReportedByItsLengthEvenWithShortColumns() {
        var b = Self.valid(steps: 5)
        b.rewards.removeLast()
        #expect(Self.reason(b) == .rolloutLength)
    }

    @Test func everyReasonHasAStableSnakeCaseLabel() {
        for r in TrajectoryValidator.Reason.allCases {
            #expect(r.rawValue.allSatisfy { $0.isLowercase || $0 == "_" }, "\(r.rawValue)")
        }
    }

    @Test func theFingerprintNamesEveryShapeAndAMismatchNamesBothValues() {
        let v = Self.validator
        #expect(v.fingerprint == "trajectory-v1 steps=4 actions=4 crop=i16[3,3]:0..7 blstats=i32[2] caption=16 core_state=0")
        #expect(v.mismatch(workerFingerprint: v.fingerprint) == nil)
        var short = v
        short.rolloutLength = 16
        #expect(v.mismatch(workerFingerprint: short.fingerprint) == "rollout length differs (env.rollout_length): learner steps=4, worker steps=16")
        var other = short
        other.captionCapacity = 32
        let both = v.mismatch(workerFingerprint: other.fingerprint) ?? ""
        #expect(both.contains("learner steps=4, worker steps=16") && both.contains("learner caption=16, worker caption=32"), "\(both)")
        #expect(v.mismatch(workerFingerprint: "nonsense")?.contains("worker has no steps") == true)
    }
}
