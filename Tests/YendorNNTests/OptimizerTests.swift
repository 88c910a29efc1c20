import Foundation
import Testing
@testable import YendorNN
import YendorTestSupport

@Test func adamMatchesHandComputedSteps() {
    // Hand computation (lr 0.1, β₁ 0.9, β₂ 0.999, ε 1e-6), gradients 0.5 then −1:
    // t=1: m=0.05, v=0.00025, m̂=0.5, v̂=0.25 → w = 1 − 0.1·0.5/(0.5+1e-6) = 0.9000002
    // t=2: m=−0.055, v=0.00124975, m̂=−0.289474, v̂=0.625188 → w = 0.9366105
    let p = Parameter(name: "w", shape: [1])
    p.value = [1]
    let adam = Adam(parameters: [p])
    p.gradient = [0.5]
    adam.update(learningRate: 0.1)
    #expect(abs(p.value[0] - 0.9000002) < 1e-6)
    p.gradient = [-1]
    adam.update(learningRate: 0.1)
    #expect(abs(p.value[0] - 0.9366105) < 1e-6)
    #expect(adam.step == 2)
}

@Test func gradientClippingScalesToMaxNormAndReportsOriginalNorm() {
    let a = Parameter(name: "a", shape: [2]), b = Parameter(name: "b", shape: [1])
    a.gradient = [3, 0]
    b.gradient = [4]
    let norm = GradientClipping.clip([a, b], maxNorm: 1)
    #expect(norm == 5)
    #expect(abs(a.gradient[0] - 0.6) < 1e-6 && abs(b.gradient[0] - 0.8) < 1e-6)
    // Below the limit nothing changes.
    #expect(GradientClipping.clip([a, b], maxNorm: 10) <= 1.0001)
    #expect(abs(b.gradient[0] - 0.8) < 1e-6)
}

@Test func tensorFileRoundTripsAndRejectsCorruption() throws {
    let tensors = [NamedTensor(name: "x.weight", shape: [2, 3], values: [1, -2, .pi, 0, 1e-30, -0.0]),
                   NamedTensor(name: "s", shape: [], values: [42])]
    let data = TensorFile.encode(tensors, metadata: Data("{\"a\":1}".utf8))
    let decoded = try TensorFile.decode(data)
    #expect(decoded.tensors == tensors)
    #expect(decoded.metadata == Data("{\"a\":1}".utf8))
    #expect(throws: NNError.self) { try TensorFile.decode(data.prefix(data.count - 1)) }
    var bad = data
    bad[0] = 0
    #expect(throws: NNError.malformedTensorFile("bad magic (not a Yendor tensor file)")) { try TensorFile.decode(bad) }
}

/// A corrupt shape whose product wraps around (2^31 · 2^31 · 2 = 2^63) once passed the size check
/// as a negative count and trapped reading the values.
@Test func aTensorFileShapeWhoseSizeOverflowsIsRefusedNotATrap() {
    var bytes = TensorFile.magic
    bytes += [0, 0, 0, 0]  // metadata length
    bytes += [1, 0, 0, 0]  // one tensor
    bytes += [1, 0] + Array("w".utf8) + [3]  // its name, rank 3
    for d: UInt32 in [0x8000_0000, 0x8000_0000, 2] { bytes += withUnsafeBytes(of: d.littleEndian) { Array($0) } }
    #expect(throws: NNError.malformedTensorFile("tensor w with shape [2147483648, 2147483648, 2] is larger than the remaining file")) {
        try TensorFile.decode(Data(bytes))
    }
}

@Test func tensorFileWriteReplacesAtomically() throws {
    let url = Scratch.root.appendingPathComponent("yendor-nn-\(UUID().uuidString).ckpt")
    defer { try? FileManager.default.removeItem(at: url) }
    try TensorFile.write([NamedTensor(name: "a", shape: [1], values: [1])], metadata: Data(), to: url)
    try TensorFile.write([NamedTensor(name: "a", shape: [1], values: [2])], metadata: Data(), to: url)
    #expect(try TensorFile.read(from: url).tensors[0].values == [2])
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        .filter { $0.contains(url.lastPathComponent + ".tmp") }
    #expect(leftovers.isEmpty)
}
