// libFuzzer entry point for the wire decoder (built by scripts/fuzz-wire.sh, not by SwiftPM).
// Property: any bytes either fail with a WireError or decode to a message whose encoding is a fixed
// point (encode → decode → encode gives the same bytes). Anything else — a crash, a non-WireError,
// a message that re-encodes differently — is a finding.
//
// Each input is decoded twice: as given, and with the header's length and CRC32C rewritten to match
// the bytes, so that mutations reach the payload decoders instead of stopping at the checksum.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    check(input)
    if count >= Envelope.headerSize {
        var sealed = input
        let crc = CRC32C.checksum(Array(input[Envelope.headerSize...]))
        sealed.withUnsafeMutableBytes { b in
            b.storeBytes(of: crc.littleEndian, toByteOffset: 12, as: UInt32.self)
            b.storeBytes(of: UInt64(count - Envelope.headerSize).littleEndian, toByteOffset: 16, as: UInt64.self)
        }
        check(sealed)
    }
    return 0
}

private func check(_ bytes: [UInt8]) {
    let limits = WireLimits(maxMessageBytes: 1 << 20)
    let message: WireMessage
    do {
        message = try WireMessage.decode(bytes, limits: limits)
    } catch is WireError {
        return
    } catch {
        fatalError("decoder threw a non-WireError: \(error)")
    }
    let once = message.encoded()
    guard let again = try? WireMessage.decode(once, limits: WireLimits(maxMessageBytes: 1 << 30)) else {
        fatalError("a decoded message did not decode after re-encoding")
    }
    if again.encoded() != once { fatalError("re-encoding is not a fixed point") }
}
