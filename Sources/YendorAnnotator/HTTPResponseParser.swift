import Foundation

/// Reads one HTTP/1.1 response from the bytes of a connection, incrementally: status line and
/// headers, then a body framed by Content-Length, by chunked transfer coding, or by the end of
/// the connection. Interim 1xx responses are skipped. Bounded: a head over `maxHeadBytes` is
/// malformed, a body over `maxBodyBytes` is too large.
struct HTTPResponseParser {
    enum Progress: Equatable {
        /// The response is not complete yet.
        case needMore
        case complete(status: Int, body: [UInt8], retryAfter: String?)
        case tooLarge(bytes: Int)
        case malformed(String)
    }

    private enum Framing {
        case length(Int)
        case chunked
        case untilClose
    }

    let maxBodyBytes: Int
    let maxHeadBytes: Int
    /// Bytes not consumed yet (the head being read, or the raw body).
    private var buffer: [UInt8] = []
    private var status: Int?
    private var retryAfter: String?
    private var framing: Framing?
    /// Where to resume looking for the end of the head.
    private var headScan = 0
    /// Chunked bodies: the chunks decoded so far, and where the next chunk starts in `buffer`.
    private var decoded: [UInt8] = []
    private var chunkStart = 0

    init(maxBodyBytes: Int, maxHeadBytes: Int = 64 << 10) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeadBytes = maxHeadBytes
    }

    /// Adds bytes from the connection.
    mutating func feed<Bytes: Collection>(_ bytes: Bytes) -> Progress where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        return advance(atEnd: false)
    }

    /// The connection ended: completes a body framed by the end of the connection; anything
    /// else incomplete is malformed (truncated).
    mutating func finish() -> Progress {
        let progress = advance(atEnd: true)
        if progress == .needMore {
            return .malformed(status == nil
                ? "connection closed before the response head (\(buffer.count) bytes)"
                : "connection closed before the response body was complete (\(buffer.count) bytes)")
        }
        return progress
    }

    private mutating func advance(atEnd: Bool) -> Progress {
        while framing == nil {
            guard let end = headEnd() else {
                return buffer.count > maxHeadBytes ? .malformed("response head over \(maxHeadBytes) bytes") : .needMore
            }
            let head = String(decoding: buffer[..<end], as: UTF8.self)
            buffer.removeFirst(end + 4)
            headScan = 0
            if let problem = readHead(head) { return .malformed(problem) }
        }
        guard let status, let framing else { return .needMore }
        switch framing {
        case .length(let length):
            if length > maxBodyBytes { return .tooLarge(bytes: length) }
            guard buffer.count >= length else { return .needMore }
            return .complete(status: status, body: Array(buffer[..<length]), retryAfter: retryAfter)
        case .untilClose:
            if buffer.count > maxBodyBytes { return .tooLarge(bytes: buffer.count) }
            return atEnd ? .complete(status: status, body: buffer, retryAfter: retryAfter) : .needMore
        case .chunked:
            return decodeChunks(status: status)
        }
    }

    /// Index of the "\r\n\r\n" ending the head, if it has arrived.
    private mutating func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = headScan
        while index + 3 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 { return index }
            index += 1
        }
        headScan = max(0, buffer.count - 3)
        return nil
    }

    /// Reads the status line and the headers that matter; nil when fine, else the problem.
    /// A 1xx head leaves `framing` nil, so the next head is read.
    private mutating func readHead(_ head: String) -> String? {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100...999).contains(code) else {
            return "not an HTTP/1.x status line: '\(statusLine.prefix(80))'"
        }
        if (100..<200).contains(code) { return nil }
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length":
                guard let parsed = Int(value), parsed >= 0 else { return "bad Content-Length '\(value)'" }
                length = parsed
            case "transfer-encoding":
                chunked = value.lowercased().contains("chunked")
            case "retry-after":
                retryAfter = value
            default:
                break
            }
        }
        status = code
        if code == 204 || code == 304 {
            framing = .length(0)
        } else if chunked {
            framing = .chunked
        } else if let length {
            framing = .length(length)
        } else {
            framing = .untilClose
        }
        return nil
    }

    /// Decodes the chunks that have arrived; complete after the last chunk and its trailers.
    private mutating func decodeChunks(status: Int) -> Progress {
        let buffer = self.buffer
        func line(from start: Int) -> (text: String, next: Int)? {
            var i = start
            while i + 1 < buffer.count {
                if buffer[i] == 13, buffer[i + 1] == 10 { return (String(decoding: buffer[start..<i], as: UTF8.self), i + 2) }
                i += 1
            }
            return nil
        }
        while true {
            guard let (sizeLine, afterSize) = line(from: chunkStart) else {
                return buffer.count - chunkStart > 1024 ? .malformed("chunk size line over 1024 bytes") : .needMore
            }
            let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(hex, radix: 16), size >= 0 else { return .malformed("bad chunk size '\(sizeLine.prefix(40))'") }
            if size == 0 {
                // Trailers, then an empty line.
                var next = afterSize
                while true {
                    guard let (trailer, after) = line(from: next) else { return .needMore }
                    next = after
                    if trailer.isEmpty { return .complete(status: status, body: decoded, retryAfter: retryAfter) }
                }
            }
            // Compared without adding: a peer's size can be near Int.max.
            if size > maxBodyBytes - decoded.count {
                let (total, overflow) = decoded.count.addingReportingOverflow(size)
                return .tooLarge(bytes: overflow ? .max : total)
            }
            guard afterSize + size + 2 <= buffer.count else { return .needMore }
            guard buffer[afterSize + size] == 13, buffer[afterSize + size + 1] == 10 else { return .malformed("chunk not followed by CRLF") }
            decoded.append(contentsOf: buffer[afterSize..<(afterSize + size)])
            chunkStart = afterSize + size + 2
        }
    }
}
