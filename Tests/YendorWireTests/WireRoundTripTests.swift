import Testing
@testable import YendorWire

@Suite("Wire round trips")
struct WireRoundTripTests {
    @Test func everyMessageKindDecodesToWhatWasEncoded() throws {
        var rng = TestRNG(seed: 1)
        let messages = rng.everyMessage()
        #expect(Set(messages.map(\.kind)) == Set(MessageKind.allCases))
        for message in messages {
            let bytes = message.encoded()
            #expect(try WireMessage.decode(bytes) == message)
        }
    }

    @Test func randomTrajectoryBatchesRoundTrip() throws {
        var rng = TestRNG(seed: 42)
        for _ in 0..<300 {
            let batch = rng.batch()
            let decoded = try TrajectoryBatch.decode(batch.encoded())
            #expect(decoded == batch)
            #expect(decoded.observation("crop")?.values(as: Int16.self) == batch.observation("crop")?.values(as: Int16.self))
        }
    }

    @Test func emptyBatchesRoundTrip() throws {
        var rng = TestRNG(seed: 7)
        for (t, b) in [(0, 0), (0, 4), (5, 0)] {
            let batch = rng.batch(steps: t, envs: b)
            #expect(try TrajectoryBatch.decode(batch.encoded()) == batch)
        }
    }

    @Test func unicodeCaptionsSurviveByteForByte() throws {
        var rng = TestRNG(seed: 3)
        var batch = rng.batch(steps: 2, envs: 2)
        batch.captions = ["", "Élbereth 🗡️", "ドラゴン", "e\u{301}"]
        batch.captionIndex = [0, 1, 2, 3]
        let decoded = try TrajectoryBatch.decode(batch.encoded())
        #expect(decoded.captions.map { Array($0.utf8) } == batch.captions.map { Array($0.utf8) })
        #expect(decoded.caption(step: 1, env: 1) == "e\u{301}")
    }

    @Test func messageExactlyAtTheSizeLimitDecodesAndOneByteMoreIsRejected() throws {
        var rng = TestRNG(seed: 9)
        let bytes = rng.batch(steps: 8, envs: 8).encoded()
        let exact = WireLimits(maxMessageBytes: bytes.count)
        #expect(throws: Never.self) { try TrajectoryBatch.decode(bytes, limits: exact) }
        let under = WireLimits(maxMessageBytes: bytes.count - 1)
        #expect(throws: WireError.tooLarge(field: "message", size: bytes.count, limit: bytes.count - 1)) {
            try TrajectoryBatch.decode(bytes, limits: under)
        }
    }

    @Test func arrayDataIsEightByteAligned() throws {
        var rng = TestRNG(seed: 11)
        let bytes = rng.batch(steps: 3, envs: 3).encoded()
        // Walk the array records as a foreign reader would and check every data offset.
        try bytes.withUnsafeBytes { raw in
            let payload = UnsafeRawBufferPointer(rebasing: raw[Envelope.headerSize...])
            var r = ByteReader(payload, limits: .default)
            _ = try r.readString("worker"); _ = try r.readString("task")
            _ = try r.read(UInt64.self, "v"); _ = try r.read(UInt32.self, "t"); _ = try r.read(UInt32.self, "b")
            let n = try r.read(UInt32.self, "n")
            for _ in 0..<n {
                let view = try r.readArray()
                let offset = view.data.baseAddress.map { $0 - payload.baseAddress! } ?? 0
                #expect(offset % 8 == 0, "\(view.name) at \(offset)")
            }
        }
    }

    @Test func crc32cMatchesTheStandardCheckValueOnBothPaths() {
        let check = Array("123456789".utf8)
        #expect(CRC32C.checksum(check) == 0xE306_9283)
        #expect(CRC32C.portableChecksum(check) == 0xE306_9283)
        var rng = TestRNG(seed: 5)
        for n in [0, 1, 7, 8, 9, 63, 64, 1000, 4097] {
            let data = rng.bytes(n)
            #expect(CRC32C.checksum(data) == CRC32C.portableChecksum(data))
        }
    }
}

@Suite("Wire protocol document")
struct WireDocumentTests {
    func hex(_ s: String) -> [UInt8] {
        s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
    }

    @Test func wireProtocolDocumentExamplesMatchTheEncoder() throws {
        let goodbye = Goodbye(id: "w1", reason: "bye").encoded()
        #expect(goodbye == hex("59 4e 44 52 01 00 04 00 00 00 00 00 7c d3 98 20 0d 00 00 00 00 00 00 00 02 00 00 00 77 31 03 00 00 00 62 79 65"))
        let update = PolicyUpdate(version: 7, modelSignature: "m", tensors: [NamedArray(name: "b", shape: [2], values: [Float(1), -2])])
        #expect(update.encoded() == hex("""
            59 4e 44 52 01 00 11 00 00 00 00 00 b8 4f 18 51 28 00 00 00 00 00 00 00
            07 00 00 00 00 00 00 00 01 00 00 00 6d 01 00 00 00 01 00 00 00 62 04 01 00 00 02 00 00 00 00 00
            00 00 80 3f 00 00 00 c0
            """))
    }
}
