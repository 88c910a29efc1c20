import YendorEnvironment
import YendorWire

/// The learner's admission check for one trajectory (read through a `TrajectoryBatchView`, whether it
/// arrived as a frame or as an in-process value): every shape and every value the
/// learner reads, against the sizes it was configured with. A batch that passes can be assembled
/// and trained on without trapping (no index out of range, no integer overflow) and without putting
/// a NaN or infinity into the update; one that fails is rejected with a `Rejection` naming a stable
/// reason (counted as `transport/frames_dropped/<reason>`) and the first bad entry.
///
/// It takes plain sizes so any environment's observation spec can feed it; `observations` lists
/// the named observation arrays the policy reads (dtype, per-step shape, value range). Two names are
/// special: `caption_index` ([T+1, B] i32, an index into the batch's caption table) and `core_state`
/// ([T+1, B, H] f32, required exactly when `coreStateSize` > 0). Other `obs/` arrays a worker sends
/// are carried but not read, so they are not checked beyond the decoder's own checks.
///
/// docs/wire-protocol.md ("What the learner accepts") lists the same rules for writers of workers.
public struct TrajectoryValidator: Sendable, Equatable {
    /// Why a trajectory was rejected: the label of `transport/frames_dropped/<reason>`.
    public enum Reason: String, Sendable, CaseIterable, Comparable {
        /// `steps` (T) differs from the learner's rollout length.
        case rolloutLength = "rollout_length"
        /// B < 1, a required observation array missing or of the wrong dtype or shape, a column of the wrong length.
        case shape
        /// An action outside 0..<actionCount.
        case actionRange = "action_range"
        /// A reward that is NaN, infinite, or larger in magnitude than `maxAbsReward`.
        case reward
        /// A behaviour value estimate that is NaN or infinite.
        case value
        /// A behaviour log-probability that is NaN, infinite or positive.
        case logProb = "log_prob"
        /// `behaviour_logits` with an action dimension other than `actionCount`, or holding a NaN.
        case logits
        /// A glyph id (in `obs/crop`) outside 0..<glyphVocabulary.
        case glyphRange = "glyph_range"
        /// Another observation value outside its declared range.
        case observationRange = "obs_range"
        /// An `obs/caption_index` entry outside the caption table.
        case captionIndex = "caption_index"
        /// A caption longer than `captionCapacity` UTF-8 bytes.
        case captionLength = "caption_length"
        /// A caption table with more entries than the batch has caption slots.
        case captionTable = "caption_table"
        /// A `caption_count` below 1 (the count includes the step itself).
        case captionCount = "caption_count"
        /// `obs/core_state` missing (recurrent policy), present (feed-forward policy), of the wrong size, not finite or too large.
        case coreState = "core_state"
        /// A negative per-step policy version, or a batch `policy_version` other than the newest per-step one.
        case policyVersion = "policy_version"
        /// An episode summary with a non-finite return or a length below 1, or more episodes than steps.
        case episode

        public static func < (a: Reason, b: Reason) -> Bool { a.rawValue < b.rawValue }
    }

    /// A rejected trajectory: the reason (for counters) and the first bad entry (for logs).
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: Reason
        public let detail: String

        public init(_ reason: Reason, _ detail: String) {
            self.reason = reason
            self.detail = detail
        }

        public var description: String { "\(reason.rawValue): \(detail)" }
    }

    /// One observation array the learner reads: `obs/<name>`, shaped [T+1, B] + `shape`.
    public struct ObservationArray: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        /// The extents after [T+1, B].
        public var shape: [Int]
        /// Allowed values of an integer array (nil: any value of the dtype).
        public var range: ClosedRange<Int64>?
        /// The reason reported for a value outside `range`.
        public var rangeReason: Reason

        public init(name: String, dtype: DType, shape: [Int], range: ClosedRange<Int64>? = nil,
                    rangeReason: Reason = .observationRange) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.range = range
            self.rangeReason = rangeReason
        }
    }

    /// T: steps per trajectory.
    public var rolloutLength: Int
    /// A: actions are 0..<actionCount.
    public var actionCount: Int
    /// Caption capacity in UTF-8 bytes; every caption in the table must fit.
    public var captionCapacity: Int
    /// Floats of recurrent core state per env (0: a feed-forward policy, no `obs/core_state`).
    public var coreStateSize: Int
    /// The observation arrays the policy reads (besides `caption_index` and `core_state`).
    public var observations: [ObservationArray]
    /// Largest accepted |reward|: far beyond any task's per-step reward, far below what would
    /// overflow the value loss in f32.
    public var maxAbsReward: Float = 1e6
    /// Largest accepted |core state| entry (a GRU's state lies in [-1, 1]).
    public var maxAbsCoreState: Float = 1e3

    /// A validator for the policy's inputs: a `cropSize`² crop of glyph ids in 0..<glyphVocabulary
    /// (`obs/crop`, i16), `blstatsCount` bottom-line statistics (`obs/blstats`, i32, any value; the
    /// policy squashes them with sign·log1p), the caption index (`obs/caption_index`), and the
    /// recurrent core state when `coreStateSize` > 0.
    public init(rolloutLength: Int, actionCount: Int, glyphVocabulary: Int, cropSize: Int, blstatsCount: Int,
                captionCapacity: Int, coreStateSize: Int = 0) {
        self.rolloutLength = rolloutLength
        self.actionCount = actionCount
        self.captionCapacity = captionCapacity
        self.coreStateSize = coreStateSize
        observations = [
            ObservationArray(name: "crop", dtype: .i16, shape: [cropSize, cropSize],
                             range: 0...max(Int64(glyphVocabulary) - 1, 0), rangeReason: .glyphRange),
            ObservationArray(name: "blstats", dtype: .i32, shape: [blstatsCount]),
        ]
    }

    /// The same validator for an environment's `ObservationSpec` (the policy's).
    public init(rolloutLength: Int, actionCount: Int, spec: ObservationSpec, coreStateSize: Int = 0) {
        self.init(rolloutLength: rolloutLength, actionCount: actionCount, glyphVocabulary: spec.glyphCount,
                  cropSize: spec.cropSize, blstatsCount: spec.blstatsCount, captionCapacity: spec.captionBytes,
                  coreStateSize: coreStateSize)
    }

    // MARK: The fingerprint a worker is admitted with

    /// Every size a trajectory's shape depends on, as one line of `key=value` fields: the
    /// `trajectory` capability of a worker's Hello. The learner refuses a worker whose line differs.
    ///
    ///     trajectory-v1 steps=32 actions=23 crop=i16[9,9]:0..1023 blstats=i32[16] caption=256 core_state=0
    public var fingerprint: String {
        var fields = ["trajectory-v1", "steps=\(rolloutLength)", "actions=\(actionCount)"]
        for o in observations {
            var field = "\(o.name)=\(o.dtype)[\(o.shape.map(String.init).joined(separator: ","))]"
            if let r = o.range { field += ":\(r.lowerBound)..\(r.upperBound)" }
            fields.append(field)
        }
        fields += ["caption=\(captionCapacity)", "core_state=\(coreStateSize)"]
        return fields.joined(separator: " ")
    }

    /// Compares a worker's fingerprint with this one. Nil when they agree; otherwise a sentence naming
    /// every field that differs with both values, e.g.
    /// `rollout length differs (env.rollout_length): learner steps=32, worker steps=16`.
    public func mismatch(workerFingerprint other: String) -> String? {
        let mine = fingerprint
        if other == mine { return nil }
        func fields(_ s: String) -> [(key: String, value: String)] {
            s.split(separator: " ").map { token in
                let parts = token.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
        }
        let a = fields(mine), b = fields(other)
        let theirs = Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        let ours = Dictionary(a.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        var differences: [String] = []
        for (key, value) in a {
            guard let their = theirs[key] else { differences.append("learner \(key)\(value.isEmpty ? "" : "=\(value)"), worker has no \(key)"); continue }
            if their != value { differences.append("learner \(key)=\(value), worker \(key)=\(their)") }
        }
        for (key, value) in b where ours[key] == nil {
            differences.append("worker \(key)\(value.isEmpty ? "" : "=\(value)"), learner has no \(key)")
        }
        if differences.isEmpty { differences.append("learner [\(mine)], worker [\(other)]") }
        let what = differences.count == 1 && differences[0].hasPrefix("learner steps=") ? "rollout length differs (env.rollout_length)" : "trajectory shape differs"
        return "\(what): \(differences.joined(separator: "; "))"
    }

    // MARK: The check

    /// Throws a `Rejection` for the first rule `trajectory` breaks; returns when the learner can train on it.
    public func check(_ trajectory: ReceivedTrajectory) throws(Rejection) {
        // First, as for a view: a value whose columns are also short is still reported by its length.
        guard trajectory.steps == rolloutLength else {
            throw Rejection(.rolloutLength, "steps = \(trajectory.steps), the learner's rollout length is \(rolloutLength)")
        }
        var rejection: Rejection?
        do {
            try trajectory.withView { view in
                do throws(Rejection) { try check(view) } catch { rejection = error }
            }
        } catch {
            // Only a value's columns can disagree with its sizes (a frame was checked on arrival).
            if case WireError.invalidShape(let field, _) = error, field == "behaviour_logits" { throw Rejection(.logits, "\(error)") }
            throw Rejection(.shape, "\(error)")
        }
        if let rejection { throw rejection }
    }

    /// `check` for a value (tests, and what an in-process worker hands over).
    public func check(_ batch: TrajectoryBatch) throws(Rejection) { try check(.value(batch)) }

    /// Throws a `Rejection` for the first rule `b` breaks; returns when the learner can train on it.
    public func check(_ b: TrajectoryBatchView) throws(Rejection) {
        let t = b.steps, e = b.envs, rows = t + 1
        guard t == rolloutLength else {
            throw Rejection(.rolloutLength, "steps = \(t), the learner's rollout length is \(rolloutLength)")
        }
        guard e >= 1 else { throw Rejection(.shape, "envs = \(e), expected at least 1") }
        let n = t * e
        let columns: [(String, Int)] = [
            ("actions", b.actions.count), ("behaviour_logp", b.behaviourLogProbs.count), ("values", b.values.count),
            ("rewards", b.rewards.count), ("dones", b.dones.count), ("truncated", b.truncated.count),
            ("policy_versions", b.policyVersions.count), ("caption_index", b.captionIndex.count),
            ("caption_count", b.captionCount.count),
        ]
        for (name, count) in columns where count != n {
            throw Rejection(.shape, "\(name) has \(count) entries, expected T·B = \(n)")
        }
        if b.envIDs.count != e { throw Rejection(.shape, "env_ids has \(b.envIDs.count) entries, expected B = \(e)") }

        // Observations the policy reads: dtype, shape, value range.
        for spec in observations {
            let expected = [rows, e] + spec.shape
            guard let a = b.observation(spec.name) else { throw Rejection(.shape, "missing obs/\(spec.name) (\(spec.dtype) \(expected))") }
            guard a.dtype == spec.dtype, a.shape == expected, a.data.count == expected.reduce(1, *) * spec.dtype.size else {
                throw Rejection(.shape, "obs/\(spec.name) is \(a.dtype) \(a.shape), expected \(spec.dtype) \(expected)")
            }
            if let range = spec.range, let bad = Self.firstOutside(range, in: a) {
                throw Rejection(spec.rangeReason, "obs/\(spec.name)[\(bad.index)] = \(bad.value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
        }
        guard let captionIndex = b.observation("caption_index") else {
            throw Rejection(.shape, "missing obs/caption_index (i32 [\(rows), \(e)])")
        }
        guard captionIndex.dtype == .i32, captionIndex.shape == [rows, e], captionIndex.data.count == rows * e * 4 else {
            throw Rejection(.shape, "obs/caption_index is \(captionIndex.dtype) \(captionIndex.shape), expected i32 [\(rows), \(e)]")
        }
        let tableSize = Int64(b.captions.count)
        guard tableSize > 0 else { throw Rejection(.captionIndex, "the caption table is empty; every step needs a caption (index 0 is \"\" by convention)") }
        if let bad = Self.firstOutside(0...tableSize - 1, in: captionIndex) {
            throw Rejection(.captionIndex, "obs/caption_index[\(bad.index)] = \(bad.value) is outside the table of \(tableSize) captions")
        }
        if let i = b.captionIndex.firstIndex(where: { $0 < 0 || Int64($0) >= tableSize }) {
            throw Rejection(.captionIndex, "caption_index[\(i)] = \(b.captionIndex[i]) is outside the table of \(tableSize) captions")
        }
        try checkCoreState(b, rows: rows)

        // Per-step columns.
        if let i = b.actions.firstIndex(where: { $0 < 0 || Int($0) >= actionCount }) {
            throw Rejection(.actionRange, "actions[\(i)] = \(b.actions[i]) is outside 0..<\(actionCount)")
        }
        if let i = b.behaviourLogProbs.firstIndex(where: { !($0.isFinite && $0 <= 0) }) {
            throw Rejection(.logProb, "behaviour_logp[\(i)] = \(b.behaviourLogProbs[i]) is not a finite log-probability (≤ 0)")
        }
        if let i = b.rewards.firstIndex(where: { !($0.isFinite && abs($0) <= maxAbsReward) }) {
            throw Rejection(.reward, "rewards[\(i)] = \(b.rewards[i]) is not finite or exceeds ±\(maxAbsReward)")
        }
        if let i = b.values.firstIndex(where: { !$0.isFinite }) {
            throw Rejection(.value, "values[\(i)] = \(b.values[i]) is not finite")
        }
        if b.actionCount > 0 || !b.behaviourLogits.isEmpty {
            guard b.actionCount == actionCount, b.behaviourLogits.count == n * actionCount else {
                throw Rejection(.logits, "behaviour_logits has \(b.behaviourLogits.count) values for A = \(b.actionCount), expected [\(t), \(e), \(actionCount)]")
            }
            if let i = b.behaviourLogits.firstIndex(where: { $0.isNaN }) {
                throw Rejection(.logits, "behaviour_logits[\(i)] is NaN")
            }
        }
        if let i = b.dones.firstIndex(where: { $0 > 1 }) { throw Rejection(.shape, "dones[\(i)] = \(b.dones[i]), expected 0 or 1") }
        if let i = b.truncated.firstIndex(where: { $0 > 1 }) { throw Rejection(.shape, "truncated[\(i)] = \(b.truncated[i]), expected 0 or 1") }

        // Policy versions: never negative, and the batch's version is the newest step's.
        if let i = b.policyVersions.firstIndex(where: { $0 < 0 }) {
            throw Rejection(.policyVersion, "policy_versions[\(i)] = \(b.policyVersions[i]) is negative")
        }
        let newest = UInt64(b.policyVersions.max() ?? 0)
        guard b.policyVersion == newest else {
            throw Rejection(.policyVersion, "policy_version = \(b.policyVersion), but the newest per-step version is \(newest)")
        }

        // Captions: counts, table size, lengths.
        if let i = b.captionCount.firstIndex(where: { $0 < 1 }) {
            throw Rejection(.captionCount, "caption_count[\(i)] = \(b.captionCount[i]), expected at least 1 (the count includes the step)")
        }
        let slots = rows * e + n + 1
        guard b.captions.count <= slots else {
            throw Rejection(.captionTable, "\(b.captions.count) captions for \(slots - 1) caption slots")
        }
        if let i = b.captions.firstIndex(where: { $0.utf8.count > captionCapacity }) {
            throw Rejection(.captionLength, "captions[\(i)] has \(b.captions[i].utf8.count) UTF-8 bytes, the capacity is \(captionCapacity)")
        }

        // Episodes (metrics only, but a NaN return would poison the reported mean).
        guard b.episodeCount <= n else { throw Rejection(.episode, "\(b.episodeCount) episodes in \(n) steps") }
        if let i = (0..<b.episodeCount).first(where: { !b.episode($0).episodeReturn.isFinite || b.episode($0).length < 1 }) {
            let ep = b.episode(i)
            throw Rejection(.episode, "episode \(i): return \(ep.episodeReturn), length \(ep.length) (expected a finite return and length ≥ 1)")
        }
    }

    private func checkCoreState(_ b: TrajectoryBatchView, rows: Int) throws(Rejection) {
        let state = b.observation("core_state")
        guard coreStateSize > 0 else {
            if let state { throw Rejection(.coreState, "obs/core_state \(state.shape) sent to a feed-forward policy (core_state=0)") }
            return
        }
        let expected = [rows, b.envs, coreStateSize]
        guard let state else { throw Rejection(.coreState, "missing obs/core_state (f32 \(expected)) for the recurrent policy") }
        guard state.dtype == .f32, state.shape == expected, state.data.count == expected.reduce(1, *) * 4 else {
            throw Rejection(.coreState, "obs/core_state is \(state.dtype) \(state.shape), expected f32 \(expected)")
        }
        let limit = maxAbsCoreState
        let raw = state.data
        var bad: (Int, Float)?
        for i in 0..<raw.count / 4 {
            let x = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            if !(x.isFinite && abs(x) <= limit) { bad = (i, x); break }
        }
        if let (i, x) = bad { throw Rejection(.coreState, "obs/core_state[\(i)] = \(x) is not finite or exceeds ±\(limit)") }
    }

    /// The first element of an integer array outside `range`, with its flat index. A branch-free
    /// min/max pass (it vectorises) comes first; only a bad array is searched for its first bad entry.
    static func firstOutside(_ range: ClosedRange<Int64>, in a: ArrayView) -> (index: Int, value: Int64)? {
        let raw = a.data
        switch a.dtype {
        case .u8: return scan(raw, as: UInt8.self, range)
        case .i16: return scan(raw, as: Int16.self, range)
        case .i32: return scan(raw, as: Int32.self, range)
        case .i64: return scan(raw, as: Int64.self, range)
        case .f32, .f16: return nil  // ranges apply to integer arrays
        }
    }

    // One generic scan for every integer dtype: release builds specialise it per type; debug builds
    // (tests) run it unspecialised, which is slower but not what bounds a test.
    private static func scan<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, as: T.Type,
                                                   _ range: ClosedRange<Int64>) -> (Int, Int64)? {
        let count = raw.count / MemoryLayout<T>.size
        guard count > 0, let base = raw.baseAddress else { return nil }
        func check(_ values: UnsafeBufferPointer<T>) -> (Int, Int64)? {
            var lo = T.max, hi = T.min
            for v in values {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            if range.contains(Int64(lo)) && range.contains(Int64(hi)) { return nil }
            let i = values.firstIndex { !range.contains(Int64($0)) }!
            return (i, Int64(values[i]))
        }
        // Little-endian hosts only (as the whole wire format assumes); aligned storage is read in place.
        if Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 {
            return UnsafeRawBufferPointer(rebasing: raw[0..<count * MemoryLayout<T>.size]).withMemoryRebound(to: T.self, check)
        }
        let copy = (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
        return copy.withUnsafeBufferPointer(check)
    }
}
