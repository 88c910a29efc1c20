import YendorEnvironment
import YendorWire

/// Filling a remote env's buffers from EnvSpec and EnvStepResult arrays, after checking every shape
/// and range (a server is a peer: its bad values are refused, never trained on).
extension EnvironmentBuffers {
    /// Copies one server's arrays into its slice; throws naming the first bad array.
    func store(_ arrays: [NamedArray], server: String, slice: (start: Int, count: Int), spec: ObservationSpec, resetFlags: Bool) throws {
        let n = slice.count
        func array(_ name: String, _ dtype: DType, _ shape: [Int]) throws -> NamedArray {
            guard let a = arrays.first(where: { $0.name == name }) else {
                throw RemoteEnvironmentError.protocolViolation(endpoint: server, detail: "missing array \(name)")
            }
            guard a.dtype == dtype, a.shape == shape else {
                throw RemoteEnvironmentError.protocolViolation(endpoint: server, detail: "\(name) is \(a.dtype) \(a.shape), expected \(dtype) \(shape)")
            }
            return a
        }
        func bad(_ detail: String) -> RemoteEnvironmentError { .protocolViolation(endpoint: server, detail: detail) }
        let g = try array("glyphs", .i16, [n, spec.mapRows, spec.mapColumns]).values(as: Int16.self)!
        let c = try array("crop", .i16, [n, spec.cropSize, spec.cropSize]).values(as: Int16.self)!
        if let i = g.firstIndex(where: { $0 < 0 || Int($0) >= spec.glyphCount }) ?? c.firstIndex(where: { $0 < 0 || Int($0) >= spec.glyphCount }) {
            throw bad("glyph id out of 0..<\(spec.glyphCount) at \(i)")
        }
        let b = try array("blstats", .i32, [n, spec.blstatsCount]).values(as: Int32.self)!
        let text = try array("caption", .u8, [n, spec.captionBytes]).values(as: UInt8.self)!
        let lengths = try array("caption_length", .i32, [n]).values(as: Int32.self)!
        if let i = lengths.firstIndex(where: { $0 < 0 || Int($0) > spec.captionBytes }) { throw bad("caption_length[\(i)] = \(lengths[i])") }
        var rewards = [Float](repeating: 0, count: n), dones = [UInt8](repeating: 0, count: n), cuts = dones
        if !resetFlags {
            rewards = try array("reward", .f32, [n]).values(as: Float.self)!
            dones = try array("done", .u8, [n]).values(as: UInt8.self)!
            cuts = try array("truncated", .u8, [n]).values(as: UInt8.self)!
            if let i = rewards.firstIndex(where: { !$0.isFinite }) { throw bad("reward[\(i)] is not finite") }
            if let i = dones.indices.first(where: { dones[$0] > 1 || cuts[$0] > 1 || (cuts[$0] == 1 && dones[$0] == 0) }) {
                throw bad("done/truncated[\(i)] = \(dones[i])/\(cuts[i])")
            }
        }
        let s = slice.start
        func copy<T>(_ src: [T], into dst: UnsafeMutableBufferPointer<T>, per: Int) {
            _ = UnsafeMutableBufferPointer(rebasing: dst[(s * per)..<((s + n) * per)]).update(fromContentsOf: src)
        }
        copy(g, into: glyphs, per: spec.glyphsPerEnv)
        copy(c, into: crop, per: spec.cropPerEnv)
        copy(b, into: blstats, per: spec.blstatsCount)
        copy(text, into: captions, per: spec.captionBytes)
        copy(lengths, into: captionLength, per: 1)
        copy(rewards, into: reward, per: 1)
        copy(dones, into: done, per: 1)
        copy(cuts, into: truncated, per: 1)
        // Bytes past a caption's length are zero, as the protocol promises consumers.
        for e in 0..<n {
            let base = (s + e) * spec.captionBytes
            for j in Int(lengths[e])..<spec.captionBytes { captions[base + j] = 0 }
        }
    }
}
