/// A `TrajectoryBatch` read in place: every array points into the received frame instead of being
/// copied, so decoding costs the checks (envelope, CRC32C, every count, length, shape and value) and
/// a handful of small allocations (strings, shapes, one table), none proportional to the data.
///
/// A view is valid only inside the closure `withView(of:limits:_:)` hands it to: its pointers die with
/// the frame. Copy out what must outlive it (`TrajectoryBatch(copying:)` copies everything). A value
/// made in this process is seen through the same type (`TrajectoryBatch.withView`), so the learner's
/// checks and batch layout are written once for frames and values.
///
///     try message.withUnsafeBytes { frame in
///         try TrajectoryBatchView.withView(of: frame) { batch in learner.consume(batch.rewards) }
///     }
public struct TrajectoryBatchView {
    public let workerID: String
    public let task: String
    public let policyVersion: UInt64
    /// T, the rollout length.
    public let steps: Int
    /// B, the number of environments.
    public let envs: Int
    /// Number of actions A when `behaviourLogits` is present, else 0.
    public let actionCount: Int
    /// Named observation arrays (without the `obs/` prefix), each shaped [T+1, B, ...].
    public let observations: [ArrayView]
    /// Distinct captions; `captionIndex` points into this table.
    public let captions: [String]

    // The columns, already checked for dtype and shape; see the typed accessors below.
    let actionsArray, logProbsArray, valuesArray, rewardsArray, donesArray, truncatedArray: ArrayView
    let envIDsArray, policyVersionsArray, captionIndexArray, captionCountArray: ArrayView
    let logitsArray: ArrayView?
    let episodeEnvArray, episodeReturnArray, episodeLengthArray, episodeSuccessArray: ArrayView

    public var actions: UnsafeBufferPointer<Int32> { actionsArray.data.typed(as: Int32.self) }
    public var behaviourLogProbs: UnsafeBufferPointer<Float> { logProbsArray.data.typed(as: Float.self) }
    /// [T, B, A], empty when `actionCount` is 0.
    public var behaviourLogits: UnsafeBufferPointer<Float> {
        logitsArray?.data.typed(as: Float.self) ?? UnsafeBufferPointer(start: nil, count: 0)
    }
    public var values: UnsafeBufferPointer<Float> { valuesArray.data.typed(as: Float.self) }
    public var rewards: UnsafeBufferPointer<Float> { rewardsArray.data.typed(as: Float.self) }
    public var dones: UnsafeBufferPointer<UInt8> { donesArray.data.typed(as: UInt8.self) }
    public var truncated: UnsafeBufferPointer<UInt8> { truncatedArray.data.typed(as: UInt8.self) }
    public var envIDs: UnsafeBufferPointer<Int32> { envIDsArray.data.typed(as: Int32.self) }
    public var policyVersions: UnsafeBufferPointer<Int32> { policyVersionsArray.data.typed(as: Int32.self) }
    public var captionIndex: UnsafeBufferPointer<Int32> { captionIndexArray.data.typed(as: Int32.self) }
    public var captionCount: UnsafeBufferPointer<Int32> { captionCountArray.data.typed(as: Int32.self) }

    /// Number of episodes that ended inside this batch.
    public var episodeCount: Int { episodeEnvArray.count }

    /// Episode `i`'s summary.
    public func episode(_ i: Int) -> EpisodeSummary {
        EpisodeSummary(env: episodeEnvArray.data.typed(as: Int32.self)[i],
                       episodeReturn: episodeReturnArray.data.typed(as: Float.self)[i],
                       length: episodeLengthArray.data.typed(as: Int32.self)[i],
                       success: episodeSuccessArray.data.typed(as: UInt8.self)[i] != 0)
    }

    /// The observation array with this name.
    public func observation(_ name: String) -> ArrayView? { observations.first { $0.name == name } }

    /// Checks `frame` completely (the same checks, in the same order, with the same errors as
    /// `TrajectoryBatch.decode`) and calls `body` with a view over it. Nothing is copied when the frame
    /// starts on an 8-byte boundary (the layout then aligns every array); otherwise the frame is copied
    /// once into an aligned buffer first.
    public static func withView<R>(of frame: UnsafeRawBufferPointer, limits: WireLimits = .default,
                                   _ body: (TrajectoryBatchView) throws -> R) throws -> R {
        guard let base = frame.baseAddress, Int(bitPattern: base) % 8 != 0 else {
            return try body(try view(of: frame, limits: limits))
        }
        let aligned = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count, alignment: 8)
        defer { aligned.deallocate() }
        aligned.copyMemory(from: frame)
        return try body(try view(of: UnsafeRawBufferPointer(aligned), limits: limits))
    }

    public static func withView<R>(of frame: [UInt8], limits: WireLimits = .default,
                                   _ body: (TrajectoryBatchView) throws -> R) throws -> R {
        try frame.withUnsafeBytes { try withView(of: $0, limits: limits, body) }
    }

    private static func view(of frame: UnsafeRawBufferPointer, limits: WireLimits) throws -> TrajectoryBatchView {
        try Envelope.readPayload(of: frame, kind: TrajectoryBatch.kind, limits: limits) { try TrajectoryBatchView(reading: &$0) }
    }

    static let knownArrays: Set<String> = [
        "actions", "behaviour_logp", "behaviour_logits", "values", "rewards", "dones", "truncated", "env_ids",
        "policy_versions", "caption_index", "caption_count",
        "episode/env", "episode/return", "episode/length", "episode/success",
    ]

    /// Reads and checks one payload. Used by both decoders, so they accept and reject exactly the same
    /// bytes. Creates no typed pointers: the copying decoder may run it over unaligned bytes.
    init(reading r: inout ByteReader) throws {
        workerID = try r.readString("worker_id")
        task = try r.readString("task")
        policyVersion = try r.read(UInt64.self, "policy_version")
        steps = Int(try r.read(UInt32.self, "steps"))
        envs = Int(try r.read(UInt32.self, "envs"))
        let table = try ArrayTable(&r)
        let tb = [steps, envs]
        var observations: [ArrayView] = []
        for var v in table.arrays where v.name.hasPrefix(TrajectoryBatch.obsPrefix) {
            let name = v.name
            guard v.shape.count >= 2, v.shape[0] == steps + 1, v.shape[1] == envs else {
                throw WireError.invalidShape(field: name, detail: "shape \(v.shape), expected [\(steps + 1), \(envs), ...]")
            }
            v.name = String(name.dropFirst(TrajectoryBatch.obsPrefix.count))
            observations.append(v)
        }
        self.observations = observations
        actionsArray = try table.required("actions").checked(as: Int32.self, shape: tb)
        logProbsArray = try table.required("behaviour_logp").checked(as: Float.self, shape: tb)
        if let logits = table["behaviour_logits"] {
            guard logits.shape.count == 3 else {
                throw WireError.invalidShape(field: "behaviour_logits", detail: "shape \(logits.shape), expected [T, B, A]")
            }
            actionCount = logits.shape[2]
            logitsArray = try logits.checked(as: Float.self, shape: tb + [actionCount])
        } else {
            actionCount = 0
            logitsArray = nil
        }
        valuesArray = try table.required("values").checked(as: Float.self, shape: tb)
        rewardsArray = try table.required("rewards").checked(as: Float.self, shape: tb)
        donesArray = try table.required("dones").checked(as: UInt8.self, shape: tb)
        truncatedArray = try table.required("truncated").checked(as: UInt8.self, shape: tb)
        envIDsArray = try table.required("env_ids").checked(as: Int32.self, shape: [envs])
        policyVersionsArray = try table.required("policy_versions").checked(as: Int32.self, shape: tb)
        captionIndexArray = try table.required("caption_index").checked(as: Int32.self, shape: tb)
        captionCountArray = try table.required("caption_count").checked(as: Int32.self, shape: tb)
        let eShape = [try table.required("episode/env").shape.first ?? -1]
        episodeEnvArray = try table.required("episode/env").checked(as: Int32.self, shape: eShape)
        episodeReturnArray = try table.required("episode/return").checked(as: Float.self, shape: eShape)
        episodeLengthArray = try table.required("episode/length").checked(as: Int32.self, shape: eShape)
        episodeSuccessArray = try table.required("episode/success").checked(as: UInt8.self, shape: eShape)
        // Every array that is neither an observation nor one of those read above is unknown. Counting
        // avoids a name lookup per array on the common path.
        let knownFound = 14 + (logitsArray == nil ? 0 : 1)
        if observations.count + knownFound != table.arrays.count,
           let unknown = table.arrays.lazy.map(\.name).first(where: { !$0.hasPrefix(TrajectoryBatch.obsPrefix) && !Self.knownArrays.contains($0) }) {
            throw WireError.invalidValue(field: unknown, detail: "unknown array in TrajectoryBatch")
        }
        let captions = try r.readList("caption table count", minimumItemBytes: 4) { r, i in try r.readString("caption[\(i)]") }
        let n = captions.count
        self.captions = captions
        // Raw loads: this runs before anyone has checked alignment.
        let indices = captionIndexArray.data
        for i in 0..<indices.count / 4 {
            let index = Int32(littleEndian: indices.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
            if index < 0 || Int(index) >= n {
                throw WireError.invalidValue(field: "caption_index[\(i)]", detail: "\(index) outside the table of \(n) captions")
            }
        }
        try Self.checkFlags(donesArray)
        try Self.checkFlags(truncatedArray)
    }

    private static func checkFlags(_ flags: ArrayView) throws {
        var highBits: UInt8 = 0
        for byte in flags.data { highBits |= byte & 0xFE }  // branch-free, so the loop vectorises
        if highBits != 0 { throw WireError.invalidValue(field: flags.name, detail: "flags must be 0 or 1") }
    }
}
