import Testing
@testable import YendorWire

/// Every decode error case, produced on purpose. Decoding must throw the typed error, never crash.
@Suite("Wire corruption")
struct WireCorruptionTests {
    var sample: [UInt8] { sampleBatchBytes() }


    func payload(_ build: (inout ByteWriter) -> Void, kind: MessageKind) -> [UInt8] {
        var w = ByteWriter(reservingCapacity: 64, origin: Envelope.headerSize)
        build(&w)
        var bytes = w.bytes
        Envelope.writeHeader(into: &bytes, kind: kind)
        return bytes
    }

    @Test func everyTruncationIsATypedError() {
        let bytes = sample
        for cut in 0..<bytes.count {
            #expect(throws: WireError.self) { try WireMessage.decode(Array(bytes[0..<cut])) }
        }
    }

    @Test func truncatedPayloadWithConsistentHeaderReportsTheField() {
        let bytes = sample
        var cut = Array(bytes[0..<Envelope.headerSize + 10])
        cut.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(10).littleEndian, toByteOffset: 16, as: UInt64.self) }
        #expect {
            try WireMessage.decode(resealed(cut))
        } throws: { error in
            guard case WireError.truncated = error as! WireError else { return false }
            return true
        }
    }

    @Test func everySingleBitFlipIsDetected() throws {
        let bytes = sample
        var decodedWrongly = 0
        for i in 0..<bytes.count {
            for bit in [0, 3, 7] {
                var b = bytes
                b[i] ^= UInt8(1 << bit)
                // The one flip that decodes: the header's `redelivered` flag, outside the CRC, which
                // changes how the learner counts the trajectory, never what it holds.
                if i == 8 && bit == 0 { continue }
                if (try? WireMessage.decode(b)) != nil { decodedWrongly += 1 }
            }
        }
        #expect(decodedWrongly == 0)
        var flagged = bytes
        flagged[8] ^= 1
        #expect(try WireMessage.decode(flagged) == WireMessage.decode(bytes))
    }

    @Test func wrongMagicVersionKindAndFlagsAreNamed() {
        var b = sample
        b[0] = 0x58
        #expect(throws: WireError.badMagic([0x58, 0x4E, 0x44, 0x52])) { try WireMessage.decode(b) }
        b = sample
        b[4] = 2
        #expect(throws: WireError.unsupportedVersion(2)) { try WireMessage.decode(b) }
        b = sample
        b[6] = 99
        #expect(throws: WireError.unknownKind(99)) { try WireMessage.decode(b) }
        b = sample
        b[8] = 2
        #expect(throws: WireError.unsupportedFlags(2)) { try WireMessage.decode(b) }
    }

    @Test func aKindsPrefixIsHowEveryFrameOfItBegins() {
        let goodbye = Goodbye(id: "*", reason: "finished").encoded()
        #expect(goodbye.starts(with: Envelope.prefix(of: .goodbye)))
        #expect(!sample.starts(with: Envelope.prefix(of: .goodbye)) && sample.starts(with: Envelope.prefix(of: .trajectoryBatch)))
    }

    @Test func onlyATrajectoryBatchMayBeMarkedRedeliveredAndTheMarkLeavesThePayloadValid() throws {
        var b = sample
        #expect(try !TrajectoryFrame(checking: b).redelivered)
        Envelope.insert(.redelivered, into: &b)
        #expect(b[8] == 1 && b[24...] == sample[24...])
        let frame = try TrajectoryFrame(checking: b)
        #expect(frame.redelivered)
        #expect(try frame.withView { $0.workerID } == (try TrajectoryFrame(checking: sample)).workerID)
        b[8] = 3
        #expect(throws: WireError.unsupportedFlags(3)) { try WireMessage.decode(b) }
        var hello = Hello(role: "worker", id: "w").encoded()
        Envelope.insert(.redelivered, into: &hello)
        #expect(throws: WireError.unsupportedFlags(1)) { try WireMessage.decode(hello) }
    }

    @Test func lengthAndChecksumMismatchesAreNamed() {
        var b = sample
        b.append(0)
        #expect(throws: WireError.lengthMismatch(declared: UInt64(sample.count - 24), actual: sample.count - 23)) {
            try WireMessage.decode(b)
        }
        b = sample
        b[b.count - 1] ^= 0xFF
        #expect {
            try WireMessage.decode(b)
        } throws: { error in
            guard case WireError.checksumMismatch = error as! WireError else { return false }
            return true
        }
    }

    @Test func decodingAsTheWrongKindIsRefused() {
        #expect(throws: WireError.wrongKind(expected: .policyUpdate, actual: .trajectoryBatch)) {
            try PolicyUpdate.decode(sample)
        }
    }

    @Test func absurdCountsAreRefusedBeforeAllocating() {
        // A Stats message claiming 4 billion entries in a 40-byte payload.
        let forged = payload({ w in
            w.write("id"); w.write("role"); w.write(UInt64(0)); w.write(UInt32.max)
        }, kind: .stats)
        #expect(throws: WireError.tooLarge(field: "stats count", size: Int(UInt32.max), limit: WireLimits.default.maxItems)) {
            try WireMessage.decode(forged)
        }
        // Under the item limit but over the bytes present.
        let short = payload({ w in
            w.write("id"); w.write("role"); w.write(UInt64(0)); w.write(UInt32(1000))
        }, kind: .stats)
        #expect(throws: WireError.truncated(field: "stats count", needed: 12_000, available: 0)) {
            try WireMessage.decode(short)
        }
        // A string length of 4 GiB.
        let longString = payload({ w in w.write(UInt32.max) }, kind: .goodbye)
        #expect(throws: WireError.tooLarge(field: "id", size: Int(UInt32.max), limit: WireLimits.default.maxStringBytes)) {
            try WireMessage.decode(longString)
        }
        // An array whose shape multiplies past any limit.
        let hugeArray = payload({ w in
            w.write(UInt64(1)); w.write("sig"); w.write(UInt32(1))
            w.write("w"); w.write(DType.f32.rawValue); w.write(UInt8(3)); w.write(UInt16(0))
            w.write(UInt32.max); w.write(UInt32.max); w.write(UInt32.max)
        }, kind: .policyUpdate)
        #expect {
            try WireMessage.decode(hugeArray)
        } throws: { error in
            guard case WireError.tooLarge(field: "w element count", _, _) = error as! WireError else { return false }
            return true
        }
    }

    @Test func badFieldValuesAreNamed() {
        let badUTF8 = payload({ w in w.write(UInt32(2)); w.write(UInt8(0xC3)); w.write(UInt8(0x28)); w.write("r") }, kind: .goodbye)
        #expect(throws: WireError.invalidUTF8(field: "id")) { try WireMessage.decode(badUTF8) }

        let badDType = payload({ w in
            w.write(UInt64(1)); w.write("sig"); w.write(UInt32(1))
            w.write("w"); w.write(UInt8(77)); w.write(UInt8(1)); w.write(UInt16(0)); w.write(UInt32(1))
        }, kind: .policyUpdate)
        #expect(throws: WireError.unknownDType(field: "w", code: 77)) { try WireMessage.decode(badDType) }

        let wrongDType = PolicyUpdate(version: 1, modelSignature: "s", tensors: [NamedArray(name: "w", shape: [2], values: [Int32(1), 2])])
        #expect(throws: WireError.invalidShape(field: "w", detail: "dtype i32, expected f32 or f16")) {
            try WireMessage.decode(wrongDType.encoded())
        }

        let duplicate = PolicyUpdate(version: 1, modelSignature: "s", tensors: [
            NamedArray(name: "w", shape: [1], values: [Float(1)]), NamedArray(name: "w", shape: [1], values: [Float(2)])])
        #expect(throws: WireError.duplicateField("w")) { try WireMessage.decode(duplicate.encoded()) }

        let badMode = payload({ w in w.write(UInt64(1)); w.write("g"); w.write(UInt8(9)); w.write(UInt32(0)) }, kind: .annotationRequest)
        #expect(throws: WireError.invalidValue(field: "mode", detail: "unknown annotation mode 9")) { try WireMessage.decode(badMode) }

        let trailing = payload({ w in w.write("a"); w.write("b"); w.write(UInt8(0)) }, kind: .goodbye)
        #expect(throws: WireError.trailingBytes(1)) { try WireMessage.decode(trailing) }
    }

    @Test func batchConsistencyIsChecked() {
        var rng = TestRNG(seed: 4)
        var batch = rng.batch(steps: 3, envs: 2)
        batch.captionIndex[5] = Int32(batch.captions.count)
        #expect {
            try WireMessage.decode(batch.encoded())
        } throws: { error in
            guard case WireError.invalidValue(field: "caption_index[5]", _) = error as! WireError else { return false }
            return true
        }

        batch = rng.batch(steps: 3, envs: 2)
        batch.dones[0] = 2
        #expect(throws: WireError.invalidValue(field: "dones", detail: "flags must be 0 or 1")) {
            try WireMessage.decode(batch.encoded())
        }

        batch = rng.batch(steps: 3, envs: 2)
        batch.observations[0] = NamedArray(name: "crop", shape: [3, 2], values: [Int16](repeating: 0, count: 6))
        #expect(throws: WireError.invalidShape(field: "obs/crop", detail: "shape [3, 2], expected [4, 2, ...]")) {
            try WireMessage.decode(batch.encoded())
        }

        let missing = payload({ w in
            w.write("w"); w.write("t"); w.write(UInt64(0)); w.write(UInt32(0)); w.write(UInt32(0)); w.write(UInt32(0)); w.write(UInt32(0))
        }, kind: .trajectoryBatch)
        #expect(throws: WireError.missingField("actions")) { try WireMessage.decode(missing) }

        let badLabel = AnnotationResult(requestID: 1, goal: "g", mode: .classification, labeler: "l",
                                        entries: [.init(item: .classify(caption: "c"), outcome: .label(.tie))])
        #expect(throws: WireError.invalidValue(field: "entry[0].value", detail: "label 2 out of range 0...1")) {
            try WireMessage.decode(badLabel.encoded())
        }
    }

    @Test func nonZeroPaddingIsRejected() {
        var rng = TestRNG(seed: 8)
        let update = PolicyUpdate(version: 1, modelSignature: "s", tensors: [NamedArray(name: "w", shape: [3], values: [Float(1), 2, 3])])
        _ = rng.next()
        var b = update.encoded()
        // Payload: u64 version (8) + "s" (5) + count (4) + "w" (5) + 4 header + 4 shape = 30; pad 2 bytes.
        b[Envelope.headerSize + 30] = 1
        #expect(throws: WireError.invalidValue(field: "w", detail: "non-zero padding byte")) { try WireMessage.decode(resealed(b)) }
    }
}
