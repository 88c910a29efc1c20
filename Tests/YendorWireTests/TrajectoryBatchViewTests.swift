import Testing
@testable import YendorWire

/// The in-place decoder (`TrajectoryBatchView`) must accept and reject exactly what the copying decoder
/// does, with the same errors, and show the same data.
@Suite("TrajectoryBatch view")
struct TrajectoryBatchViewTests {
    /// What a decoder made of some bytes: the re-encoded message (NaN-safe to compare) or the error.
    enum Outcome: Equatable {
        case decoded([UInt8])
        case failed(WireError)
    }

    func copyingOutcome(_ bytes: UnsafeRawBufferPointer, limits: WireLimits = .default) -> Outcome {
        do {
            return .decoded(try TrajectoryBatch.decode(bytes, limits: limits).encoded())
        } catch {
            return .failed(error as! WireError)
        }
    }

    func viewOutcome(_ bytes: UnsafeRawBufferPointer, limits: WireLimits = .default) -> Outcome {
        do {
            return .decoded(try TrajectoryBatchView.withView(of: bytes, limits: limits) { TrajectoryBatch(copying: $0) }.encoded())
        } catch {
            return .failed(error as! WireError)
        }
    }

    func expectSameOutcome(_ bytes: [UInt8], limits: WireLimits = .default, sourceLocation: SourceLocation = #_sourceLocation) {
        bytes.withUnsafeBytes { raw in
            #expect(viewOutcome(raw, limits: limits) == copyingOutcome(raw, limits: limits), sourceLocation: sourceLocation)
        }
    }

    /// Checks every column of the view, read through its typed pointers, against the original.
    func expectViewShows(_ batch: TrajectoryBatch, _ view: TrajectoryBatchView, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(view.workerID == batch.workerID && view.task == batch.task && view.policyVersion == batch.policyVersion,
                sourceLocation: sourceLocation)
        #expect(view.steps == batch.steps && view.envs == batch.envs && view.actionCount == batch.actionCount,
                sourceLocation: sourceLocation)
        #expect(view.observations.map { $0.copy() } == batch.observations, sourceLocation: sourceLocation)
        #expect(Array(view.actions) == batch.actions, sourceLocation: sourceLocation)
        #expect(Array(view.behaviourLogProbs) == batch.behaviourLogProbs, sourceLocation: sourceLocation)
        #expect(Array(view.behaviourLogits) == batch.behaviourLogits, sourceLocation: sourceLocation)
        #expect(Array(view.values) == batch.values, sourceLocation: sourceLocation)
        #expect(Array(view.rewards) == batch.rewards, sourceLocation: sourceLocation)
        #expect(Array(view.dones) == batch.dones, sourceLocation: sourceLocation)
        #expect(Array(view.truncated) == batch.truncated, sourceLocation: sourceLocation)
        #expect(Array(view.envIDs) == batch.envIDs, sourceLocation: sourceLocation)
        #expect(Array(view.policyVersions) == batch.policyVersions, sourceLocation: sourceLocation)
        #expect(view.captions.map { Array($0.utf8) } == batch.captions.map { Array($0.utf8) }, sourceLocation: sourceLocation)
        #expect(Array(view.captionIndex) == batch.captionIndex, sourceLocation: sourceLocation)
        #expect(Array(view.captionCount) == batch.captionCount, sourceLocation: sourceLocation)
        #expect((0..<view.episodeCount).map(view.episode) == batch.episodes, sourceLocation: sourceLocation)
    }

    var sample: [UInt8] { sampleBatchBytes() }


    func frame(_ build: (inout ByteWriter) -> Void) -> [UInt8] {
        var w = ByteWriter(reservingCapacity: 64, origin: Envelope.headerSize)
        build(&w)
        var bytes = w.bytes
        Envelope.writeHeader(into: &bytes, kind: .trajectoryBatch)
        return bytes
    }

    // MARK: Round trips

    @Test func randomBatchesShowTheSameDataAsTheCopyingDecoder() throws {
        var rng = TestRNG(seed: 101)
        for _ in 0..<200 {
            let batch = rng.batch()
            let bytes = batch.encoded()
            try TrajectoryBatchView.withView(of: bytes) { view in
                expectViewShows(batch, view)
                #expect(TrajectoryBatch(copying: view) == batch)
            }
            #expect(try TrajectoryBatch.decode(bytes) == batch)
        }
    }

    @Test func emptyBatchesGiveEmptyViews() throws {
        var rng = TestRNG(seed: 7)
        for (t, b) in [(0, 0), (0, 4), (5, 0)] {
            var batch = rng.batch(steps: t, envs: b)
            batch.episodes = []
            try TrajectoryBatchView.withView(of: batch.encoded()) { view in
                expectViewShows(batch, view)
                #expect(view.actions.isEmpty && view.episodeCount == 0)
            }
        }
    }

    @Test func unicodeCaptionsSurviveInTheView() throws {
        var rng = TestRNG(seed: 3)
        var batch = rng.batch(steps: 2, envs: 2)
        batch.captions = ["", "Élbereth 🗡️", "ドラゴン", "e\u{301}"]
        batch.captionIndex = [0, 1, 2, 3]
        try TrajectoryBatchView.withView(of: batch.encoded()) { view in
            expectViewShows(batch, view)
            #expect(view.captions[Int(view.captionIndex[3])] == "e\u{301}")
        }
    }

    @Test func aFrameAtAnOddAddressIsStillReadCorrectly() throws {
        var rng = TestRNG(seed: 5)
        let batch = rng.batch(steps: 6, envs: 3, logits: true)
        let shifted = [0xAA] + batch.encoded()
        try shifted.withUnsafeBytes { raw in
            let frame = UnsafeRawBufferPointer(rebasing: raw[1...])
            #expect(Int(bitPattern: frame.baseAddress!) % 8 != 0)
            try TrajectoryBatchView.withView(of: frame) { expectViewShows(batch, $0) }
        }
    }

    @Test func encodingIntoAReusedBufferGivesTheSameBytesWithoutGrowingIt() {
        var rng = TestRNG(seed: 13)
        var batch = rng.batch(steps: 8, envs: 4, logits: true)
        var buffer: [UInt8] = []
        batch.encode(into: &buffer)
        #expect(buffer == batch.encoded())
        let capacity = buffer.capacity
        let storage = buffer.withUnsafeBytes { $0.baseAddress }
        batch.rewards[0] += 1
        batch.encode(into: &buffer)
        #expect(buffer == batch.encoded())
        #expect(buffer.capacity == capacity)
        #expect(buffer.withUnsafeBytes { $0.baseAddress } == storage)
    }

    @Test func theInterleavedChecksumAgreesWithThePortableOneAcrossBlockBoundaries() {
        var rng = TestRNG(seed: 17)
        let data = rng.bytes(3 * 8192 * 2 + 3 * 256 * 3 + 29)
        for length in [0, 7, 8, 767, 768, 769, 1543, 24_575, 24_576, 24_577, 49_152 + 768 + 5, data.count] {
            let slice = Array(data[0..<length])
            #expect(CRC32C.checksum(slice) == CRC32C.portableChecksum(slice), "length \(length)")
        }
    }

    // MARK: Corruption: the same typed error as the copying decoder

    @Test func everyTruncationFailsTheSameWay() {
        let bytes = sample
        for cut in 0..<bytes.count { expectSameOutcome(Array(bytes[0..<cut])) }
    }

    @Test func everySingleBitFlipFailsTheSameWayWithAndWithoutAResealedChecksum() {
        let bytes = sample
        for i in 0..<bytes.count {
            for bit in [0, 3, 7] {
                var b = bytes
                b[i] ^= UInt8(1 << bit)
                expectSameOutcome(b)
                // With the CRC fixed up the flip reaches the payload checks.
                expectSameOutcome(resealed(b))
            }
        }
    }

    @Test func headerErrorsAreTheSame() {
        for (offset, value) in [(0, UInt8(0x58)), (4, 2), (6, 99), (6, 17), (8, 1)] {
            var b = sample
            b[offset] = value
            expectSameOutcome(b)
        }
        var longer = sample
        longer.append(0)
        expectSameOutcome(longer)
        var badSum = sample
        badSum[badSum.count - 1] ^= 0xFF
        expectSameOutcome(badSum)
        expectSameOutcome(sample, limits: WireLimits(maxMessageBytes: sample.count - 1))
        let policy = PolicyUpdate(version: 1, modelSignature: "s", tensors: [NamedArray(name: "w", shape: [1], values: [Float(1)])])
        expectSameOutcome(policy.encoded())
        #expect(throws: WireError.wrongKind(expected: .trajectoryBatch, actual: .policyUpdate)) {
            try TrajectoryBatchView.withView(of: policy.encoded()) { _ in }
        }
    }

    @Test func absurdCountsAreRefusedTheSameWay() {
        let head: (inout ByteWriter) -> Void = { w in
            w.write("w"); w.write("t"); w.write(UInt64(0)); w.write(UInt32(2)); w.write(UInt32(1))
        }
        expectSameOutcome(frame { w in head(&w); w.write(UInt32.max) })                    // array count
        expectSameOutcome(frame { w in w.write(UInt32.max) })                               // string length
        expectSameOutcome(frame { w in                                                      // shape overflow
            head(&w); w.write(UInt32(1))
            w.write("actions"); w.write(DType.i32.rawValue); w.write(UInt8(3)); w.write(UInt16(0))
            w.write(UInt32.max); w.write(UInt32.max); w.write(UInt32.max)
        })
        expectSameOutcome(frame { w in head(&w); w.write(UInt32(1)); w.write("x"); w.write(UInt8(1)); w.write(UInt8(99)) })  // ndim
        var rng = TestRNG(seed: 2)
        let bytes = rng.batch(steps: 2, envs: 1).encoded()
        for cut in 1...12 { expectSameOutcome(resealedWithLength(Array(bytes.dropLast(cut)))) }  // payload cut short
    }

    /// Fixes the header's length and CRC after the payload was shortened.
    func resealedWithLength(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        b.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(bytes.count - Envelope.headerSize).littleEndian, toByteOffset: 16, as: UInt64.self) }
        return resealed(b)
    }

    @Test func batchConsistencyErrorsAreTheSame() {
        var rng = TestRNG(seed: 4)
        var cases: [TrajectoryBatch] = []
        var batch = rng.batch(steps: 3, envs: 2)
        batch.captionIndex[5] = Int32(batch.captions.count)
        cases.append(batch)
        batch = rng.batch(steps: 3, envs: 2)
        batch.captionIndex[2] = -1
        cases.append(batch)
        batch = rng.batch(steps: 3, envs: 2)
        batch.dones[0] = 2
        cases.append(batch)
        batch = rng.batch(steps: 3, envs: 2)
        batch.truncated[4] = 9
        cases.append(batch)
        batch = rng.batch(steps: 3, envs: 2)
        batch.observations[0] = NamedArray(name: "crop", shape: [3, 2], values: [Int16](repeating: 0, count: 6))
        cases.append(batch)
        for c in cases { expectSameOutcome(c.encoded()) }

        // Missing, wrong dtype, wrong shape, duplicate, unknown and trailing, written by hand.
        let head: (inout ByteWriter) -> Void = { w in
            w.write("w"); w.write("t"); w.write(UInt64(0)); w.write(UInt32(1)); w.write(UInt32(1))
        }
        expectSameOutcome(frame { w in head(&w); w.write(UInt32(0)) })
        expectSameOutcome(frame { w in head(&w); w.write(UInt32(1)); w.writeArray(name: "actions", shape: [1, 1], values: [Float(0)]) })
        expectSameOutcome(frame { w in head(&w); w.write(UInt32(1)); w.writeArray(name: "actions", shape: [2], values: [Int32(0), 1]) })
        expectSameOutcome(frame { w in
            head(&w); w.write(UInt32(2))
            w.writeArray(name: "actions", shape: [1, 1], values: [Int32(0)]); w.writeArray(name: "actions", shape: [1, 1], values: [Int32(0)])
        })
        var full = rng.batch(steps: 1, envs: 1)
        full.observations.append(NamedArray(name: "extra", shape: [2, 1], values: [UInt8(1), 2]))
        expectSameOutcome(full.encoded())
        expectSameOutcome(resealedWithLength(full.encoded() + [0]))
        let unknown = frame { w in head(&w); w.write(UInt32(1)); w.writeArray(name: "mystery", shape: [1], values: [UInt8(0)]) }
        expectSameOutcome(unknown)
    }

    @Test func longArrayTablesAreIndexedAndStillRejectDuplicates() throws {
        var rng = TestRNG(seed: 31)
        var batch = rng.batch(steps: 2, envs: 2)
        // Past `ArrayTable.longestScanned` arrays the table switches from scanning to a hash index.
        batch.observations = (0..<ArrayTable.longestScanned).map {
            NamedArray(name: "o\($0)", shape: [3, 2], values: (0..<6).map { UInt8($0) })
        }
        try TrajectoryBatchView.withView(of: batch.encoded()) { expectViewShows(batch, $0) }
        batch.observations.append(NamedArray(name: "o7", shape: [3, 2], values: [UInt8](repeating: 1, count: 6)))
        #expect(throws: WireError.duplicateField("obs/o7")) { try TrajectoryBatchView.withView(of: batch.encoded()) { _ in } }
        expectSameOutcome(batch.encoded())
    }

    @Test func nonZeroPaddingIsRejectedTheSameWay() {
        var rng = TestRNG(seed: 8)
        let bytes = rng.batch(steps: 1, envs: 1).encoded()
        // Corrupt every zero byte in turn (padding among them) with a valid CRC: same outcome each time.
        for i in Envelope.headerSize..<bytes.count where bytes[i] == 0 {
            var b = bytes
            b[i] = 1
            expectSameOutcome(resealed(b))
        }
    }
}
