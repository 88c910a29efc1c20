/// The top line of the screen for one step: messages joined with two spaces, as NetHack joins
/// messages that fit on one line, as UTF-8 in a fixed buffer (no allocation per message).
///
/// A message that would overflow the buffer is dropped whole, as if behind NetHack's `--More--`.
struct MessageLine {
    /// Buffer capacity in bytes (the caption size of the observation spec).
    let capacity: Int
    private(set) var bytes: [UInt8]
    private(set) var length = 0
    /// Messages printed this step.
    private(set) var messageCount = 0

    init(capacity: Int) {
        self.capacity = capacity
        bytes = [UInt8](repeating: 0, count: capacity)
    }

    mutating func clear() {
        length = 0
        messageCount = 0
    }

    /// Prints a message, filling placeholders (`%a`, `%b`, `%n`, `%s`, `%l`, see `Message`).
    mutating func say(_ message: Message, _ a: [UInt8] = [], _ b: [UInt8] = [], number: Int = 0, letter: UInt8 = 0) {
        let start = length
        if length > 0 { guard put(32), put(32) else { return rollback(start) } }
        let template = Message.bytes[message.rawValue]
        var index = 0
        while index < template.count {
            let byte = template[index]
            index += 1
            if byte == 37 /* % */, index < template.count {
                let code = template[index]
                index += 1
                let ok: Bool
                switch code {
                case 97 /* a */: ok = put(a)
                case 98 /* b */: ok = put(b)
                case 110 /* n */: ok = putNumber(number)
                case 115 /* s */: ok = number == 1 ? true : put(115)
                case 108 /* l */: ok = put(letter)
                default: ok = put(37) && put(code)
                }
                if !ok { return rollback(start) }
            } else if !put(byte) {
                return rollback(start)
            }
        }
        messageCount += 1
    }

    /// The caption as a String (for tests, the renderer and tools; not used on the hot path).
    var text: String { String(decoding: bytes[0..<length], as: UTF8.self) }

    /// FNV-1a hash of the caption, used to count repeats of the same caption in an episode.
    var hash: UInt64 {
        var h = StableHash.offset
        for i in 0..<length { h = StableHash.mix(h, bytes[i]) }
        return h
    }

    private mutating func rollback(_ start: Int) { length = start }

    @inline(__always)
    private mutating func put(_ byte: UInt8) -> Bool {
        guard length < capacity else { return false }
        bytes[length] = byte
        length += 1
        return true
    }

    private mutating func put(_ text: [UInt8]) -> Bool {
        for byte in text where !put(byte) { return false }
        return true
    }

    private mutating func putNumber(_ value: Int) -> Bool {
        if value < 0 { guard put(45) else { return false } }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(48 + magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
        }
        return withUnsafeBytes(of: &digits) { buffer in
            for i in stride(from: count - 1, through: 0, by: -1) where !put(buffer[i]) { return false }
            return true
        }
    }
}
