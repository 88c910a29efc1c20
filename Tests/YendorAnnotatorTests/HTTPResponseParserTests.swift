import Testing
@testable import YendorAnnotator

@Suite struct HTTPResponseParserTests {
    private func parse(_ text: String, limit: Int = 1 << 20, byteByByte: Bool = false, end: Bool = false) -> HTTPResponseParser.Progress {
        var parser = HTTPResponseParser(maxBodyBytes: limit)
        var progress = HTTPResponseParser.Progress.needMore
        let bytes = Array(text.utf8)
        if byteByByte {
            for byte in bytes where progress == .needMore { progress = parser.feed([byte]) }
        } else {
            progress = parser.feed(bytes)
        }
        return end && progress == .needMore ? parser.finish() : progress
    }

    @Test(arguments: [false, true])
    func contentLengthBodyCompletesWithoutWaitingForTheConnectionToClose(byteByByte: Bool) {
        let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\": true}"
        #expect(parse(response, byteByByte: byteByByte) == .complete(status: 200, body: Array("{\"a\": true}".utf8), retryAfter: nil))
    }

    @Test(arguments: [false, true])
    func chunkedBodyIsDecoded(byteByByte: Bool) {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\nB\r\n: \"chunks\"}\r\n0\r\nX-Trailer: 1\r\n\r\n"
        #expect(parse(response, byteByByte: byteByByte) == .complete(status: 200, body: Array("{\"a\": \"chunks\"}".utf8), retryAfter: nil))
    }

    @Test func bodyWithoutLengthEndsWithTheConnection() {
        let response = "HTTP/1.0 503 Service Unavailable\r\nRetry-After: 7\r\n\r\nbusy"
        #expect(parse(response) == .needMore)
        #expect(parse(response, end: true) == .complete(status: 503, body: Array("busy".utf8), retryAfter: "7"))
    }

    @Test func interimContinueIsSkipped() {
        let response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\nContent-Length: 0\r\n\r\n"
        #expect(parse(response) == .complete(status: 429, body: [], retryAfter: "2"))
    }

    @Test func truncatedResponsesAreMalformedAtTheEndOfTheConnection() {
        guard case .malformed = parse("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{\"choices\": [", end: true) else {
            Issue.record("a truncated body was accepted")
            return
        }
        guard case .malformed = parse("HTTP/1.1 200 OK\r\nContent-Le", end: true) else {
            Issue.record("a truncated head was accepted")
            return
        }
        guard case .malformed = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", end: true) else {
            Issue.record("a truncated chunk was accepted")
            return
        }
    }

    @Test func garbageIsMalformedAndOversizedBodiesAreRefused() {
        guard case .malformed = parse("SSH-2.0-OpenSSH_9.2\r\n\r\n") else {
            Issue.record("not HTTP was accepted")
            return
        }
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", limit: 1024) == .tooLarge(bytes: 5000))
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", limit: 1024) == .tooLarge(bytes: 2048))
        #expect(parse("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 2000), limit: 1024) == .tooLarge(bytes: 2000))
        // A chunk size near Int.max once overflowed the running total (a trap).
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n7fffffffffffffff\r\n") == .tooLarge(bytes: .max))
        guard case .malformed = parse("HTTP/1.1 200 OK\r\nX: " + String(repeating: "y", count: 70_000)) else {
            Issue.record("an endless head was accepted")
            return
        }
    }
}
