import Testing
@testable import YendorWire

/// Weights published at half precision (`transport.weights_precision: f16`): dtype code 6, two
/// little-endian bytes per value, read back as `Float` by `NamedArray.floats()`.
@Suite("Half-precision weights")
struct HalfPrecisionWeightsTests {
    @Test func valuesRoundToTheNearestHalfAndWidenBackExactly() throws {
        // Hand-computed: 0.1 lies between 1638/16384 and 1639/16384 (f16 has 10 fraction bits, and
        // 0.1 is in [2^-4, 2^-3)); 1638.4 rounds to 1638. 1/3 in [2^-2, 2^-1): 1365.33/4096 → 1365/4096.
        let array = try #require(NamedArray.halfPrecision(name: "w", shape: [2, 3], values: [1, -2.5, 0.1, 1.0 / 3, 65504, 0]))
        #expect(array.dtype == .f16 && array.bytes.count == 12)
        #expect(array.floats() == [1, -2.5, 1638.0 / 16384, 1365.0 / 4096, 65504, 0])
        // 1.0 is 0x3C00 and -2.5 is 0xC100, little-endian.
        #expect(Array(array.bytes.prefix(4)) == [0x00, 0x3C, 0x00, 0xC1])
    }

    @Test func aTensorBeyondHalfPrecisionsRangeIsNotRounded() {
        #expect(NamedArray.halfPrecision(name: "w", shape: [2], values: [1, 65520]) == nil, "65,520 rounds to infinity")
        #expect(NamedArray.halfPrecision(name: "w", shape: [1], values: [.nan]) == nil)
        #expect(NamedArray.halfPrecision(name: "w", shape: [1], values: [-65504]) != nil)
    }

    @Test func aPolicyUpdateCarriesHalfPrecisionTensorsAtHalfTheBytes() throws {
        let values = (0..<1000).map { Float($0) / 7 - 60 }
        let single = PolicyUpdate(version: 3, modelSignature: "s", tensors: [NamedArray(name: "w", shape: [1000], values: values)])
        let half = PolicyUpdate(version: 3, modelSignature: "s",
                                tensors: [try #require(NamedArray.halfPrecision(name: "w", shape: [1000], values: values))])
        guard case .policyUpdate(let decoded) = try WireMessage.decode(half.encoded()) else { Issue.record("not a PolicyUpdate"); return }
        let floats = try #require(decoded.tensors.first?.floats())
        // Each within half an f16 step of the original: 2^-11 relative.
        #expect(zip(floats, values).allSatisfy { abs($0 - $1) <= abs($1) * 0x1p-11 })
        #expect(floats != values, "rounded, not carried as they were")
        // The array's 4,000 bytes become 2,000; the envelope and names are the same.
        #expect(single.encoded().count - half.encoded().count == 2000)
    }

    @Test func otherDTypesAreNotReadAsFloats() {
        #expect(NamedArray(name: "g", shape: [2], values: [Int16(1), 2]).floats() == nil)
        #expect(NamedArray(name: "f", shape: [2], values: [Float(1), 2]).floats() == [1, 2])
    }
}
