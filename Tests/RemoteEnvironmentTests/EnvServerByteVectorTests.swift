import Foundation
import Testing
import YendorWire

/// The env-server messages Swift encodes are byte for byte the Python package's canonical frames
/// (python/tests/vectors, inputs in its README).
@Suite struct EnvServerByteVectorTests {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("python/tests/vectors")

    static func bytes(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOf: vectors.appendingPathComponent(name), encoding: .utf8)
        let hex = text.filter { !$0.isWhitespace }
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static let specObservations: [NamedArray] = [
        NamedArray(name: "glyphs", shape: [2, 2, 3], values: [Int16](arrayLiteral: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1)),
        NamedArray(name: "crop", shape: [2, 1, 1], values: [Int16](arrayLiteral: 4, 0)),
        NamedArray(name: "blstats", shape: [2, 2], values: [Int32](arrayLiteral: 1, -1, Int32.max, Int32.min)),
        NamedArray(name: "caption", shape: [2, 4], values: [UInt8](arrayLiteral: 0x6E, 0xC3, 0xA9, 0, 0, 0, 0, 0)),
        NamedArray(name: "caption_length", shape: [2], values: [Int32](arrayLiteral: 3, 0)),
    ]

    @Test func swiftEncodesEveryEnvServerMessageAsThePythonPackageDoes() throws {
        #expect(EnvOpen(sequence: 1, seed: 42).encoded() == (try Self.bytes("env_open.hex")))
        #expect(EnvOpen(sequence: 1, seed: 42, split: 1, splits: 2).encoded() == (try Self.bytes("env_open_split.hex")))
        #expect(EnvSpecMessage(sequence: 1, environment: "gym:Test-v0", task: "test", numEnvs: 2, sizes: [2, 3, 1, 10, 2, 4, 3],
                               observations: Self.specObservations).encoded() == (try Self.bytes("env_spec.hex")))
        #expect(EnvStep(sequence: 2, actions: [2, 0]).encoded() == (try Self.bytes("env_step.hex")))
        let result = EnvStepResult(sequence: 2, arrays: [
            NamedArray(name: "glyphs", shape: [2, 2, 3], values: [Int16](arrayLiteral: 1, 2, 3, 4, 5, 6, 9, 8, 7, 6, 5, 4)),
            NamedArray(name: "crop", shape: [2, 1, 1], values: [Int16](arrayLiteral: 5, 5)),
            NamedArray(name: "blstats", shape: [2, 2], values: [Int32](arrayLiteral: 0, 1, 7, -7)),
            NamedArray(name: "caption", shape: [2, 4], values: [UInt8](arrayLiteral: 0x6F, 0x6B, 0, 0, 0, 0, 0, 0)),
            NamedArray(name: "caption_length", shape: [2], values: [Int32](arrayLiteral: 2, 0)),
            NamedArray(name: "reward", shape: [2], values: [Float](arrayLiteral: 0.5, -1.0)),
            NamedArray(name: "done", shape: [2], values: [UInt8](arrayLiteral: 0, 1)),
            NamedArray(name: "truncated", shape: [2], values: [UInt8](arrayLiteral: 0, 1)),
        ], episodes: [EnvEpisode(env: 1, episodeReturn: -1.5, length: 3, success: false, truncated: true, lastCaption: "ok",
                                 error: "RuntimeError: boom")])
        #expect(result.encoded() == (try Self.bytes("env_step_result.hex")))
        #expect(EnvClose(sequence: 3).encoded() == (try Self.bytes("env_close.hex")))
        #expect(EnvStepResult(sequence: 3, arrays: [], episodes: []).encoded() == (try Self.bytes("env_close_result.hex")))
        #expect(EnvError(sequence: 4, message: "action 7 for env 0 is outside 0..<3").encoded() == (try Self.bytes("env_error.hex")))
        #expect(EnvDescribe(sequence: 5).encoded() == (try Self.bytes("env_describe.hex")))
        #expect(EnvSpecMessage(sequence: 5, environment: "gym:Test-v0", task: "test", numEnvs: 2, sizes: [2, 3, 1, 10, 2, 4, 3],
                               observations: []).encoded() == (try Self.bytes("env_describe_spec.hex")))
    }

    @Test func thePythonPackagesFramesDecodeInSwift() throws {
        guard case .envOpen(let open) = try WireMessage.decode(try Self.bytes("env_open_split.hex")) else {
            Issue.record("not an EnvOpen"); return
        }
        #expect(open.protocolVersion == 2 && open.split == 1 && open.splits == 2 && open.seed == 42)
        guard case .envStepResult(let r) = try WireMessage.decode(try Self.bytes("env_step_result.hex")) else {
            Issue.record("not an EnvStepResult"); return
        }
        #expect(r.episodes.first?.error == "RuntimeError: boom" && r.arrays.count == 8)
        guard case .envSpec(let s) = try WireMessage.decode(try Self.bytes("env_spec.hex")) else {
            Issue.record("not an EnvSpec"); return
        }
        #expect(s.sizes == [2, 3, 1, 10, 2, 4, 3] && s.observations == Self.specObservations)
    }
}
