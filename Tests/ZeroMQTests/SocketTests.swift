import Foundation
import Testing
@testable import ZeroMQ

@Suite("Sockets and options")
struct SocketTests {
    @Test func optionsAreAppliedAndReadBack() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.set([.linger(milliseconds: 250), .sendHighWaterMark(17), .receiveHighWaterMark(19),
                        .heartbeatInterval(milliseconds: 1000), .heartbeatTimeout(milliseconds: 3000),
                        .reconnectInterval(milliseconds: 100), .maxMessageSize(1 << 20),
                        .sendBuffer(bytes: 96 << 10), .receiveBuffer(bytes: 80 << 10), .connectTimeout(milliseconds: 3000)])
        #expect(try socket.intOption(17) == 250)  // ZMQ_LINGER
        #expect(try socket.intOption(11) == 96 << 10)  // ZMQ_SNDBUF
        #expect(try socket.intOption(12) == 80 << 10)  // ZMQ_RCVBUF
        #expect(try socket.intOption(23) == 17)   // ZMQ_SNDHWM
        #expect(try socket.intOption(24) == 19)   // ZMQ_RCVHWM
        #expect(try socket.intOption(75) == 1000) // ZMQ_HEARTBEAT_IVL
        #expect(try socket.intOption(79) == 3000) // ZMQ_CONNECT_TIMEOUT
    }

    /// A connection attempt that gets no answer (a network cut drops the SYNs) is given up after
    /// the connect timeout and made again, so the link is back soon after the network: without
    /// the timeout the attempt waited out the kernel's SYN retries, about two minutes here, and
    /// workers rejoined 30 s after a partition healed (trial X).
    @Test func aConnectionAttemptThatGetsNoAnswerIsMadeAgainAfterTheConnectTimeout() throws {
        // A listening socket whose accept queue is full drops new SYNs, as a cut network does.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                guard bind(listener, a, length) == 0, listen(listener, 0) == 0, getsockname(listener, a, &length) == 0 else {
                    throw ZMQError.last("listen")
                }
            }
        }
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<4 {  // the first fills the queue (never accepted); the others' SYNs are dropped
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) } }
            fillers.append(filler)
        }
        let context = try Context()
        defer { context.terminate() }
        let dealer = try Socket(context: context, type: .dealer)
        defer { dealer.close() }
        try dealer.set([.linger(milliseconds: 0), .reconnectInterval(milliseconds: 50), .reconnectIntervalMax(milliseconds: 50),
                        .connectTimeout(milliseconds: 200)])
        try dealer.monitor("inproc://connect-retried", events: .connectRetried)
        let monitor = try Socket(context: context, type: .pair)
        defer { monitor.close() }
        try monitor.set(.receiveTimeout(milliseconds: 60_000))  // far beyond the ~250 ms expected; ~2 min without the timeout
        try monitor.connect("inproc://connect-retried")
        try dealer.connect("tcp://127.0.0.1:\(UInt16(bigEndian: address.sin_port))")
        for attempt in 1...3 {
            let report = try #require(try? monitor.receive(), "attempt \(attempt) was not made again within 60 s")
            #expect(report.first.flatMap(Socket.monitorEvent) == .connectRetried)
        }
        try dealer.monitor(nil, events: .connectRetried)
    }

    @Test func libzmqErrorsCarryTheErrnoNameAndMessage() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try Socket(context: context, type: .push)
        defer { socket.close() }
        #expect {
            try socket.bind("nonsense://where")
        } throws: { error in
            let e = error as! ZMQError
            return e.name == "EPROTONOSUPPORT" && e.operation == "bind(nonsense://where)" && !e.message.isEmpty
        }
        #expect {
            try socket.connect("tcp://127.0.0.1")
        } throws: { error in
            (error as! ZMQError).name == "EINVAL"
        }
        #expect {
            try socket.set(.curveServer(secretKey: "too short"))
        } throws: { error in
            (error as! ZMQError).description.contains("40 Z85 characters")
        }
        let other = try Socket(context: context, type: .pull)
        defer { other.close() }
        try other.bind("tcp://127.0.0.1:*")
        #expect {
            try socket.bind(other.lastEndpoint)
        } throws: { error in
            (error as! ZMQError).name == "EADDRINUSE"
        }
    }

    @Test func multipartMessagesArriveWholeAndInOrder() throws {
        let context = try Context()
        defer { context.terminate() }
        let pull = try Socket(context: context, type: .pull)
        let push = try Socket(context: context, type: .push)
        defer { pull.close(); push.close() }
        try pull.bind("inproc://multipart")
        try push.connect("inproc://multipart")
        for i in 0..<100 {
            try push.send(parts: [[UInt8(i)], Array(repeating: UInt8(i), count: i), []])
        }
        for i in 0..<100 {
            let parts = try #require(try pull.receive())
            #expect(parts.map(\.bytes) == [[UInt8(i)], Array(repeating: UInt8(i), count: i), []])
        }
        #expect(try pull.receive(dontWait: true) == nil)
    }

    @Test func pollerReportsWhichSocketIsReadable() throws {
        let context = try Context()
        defer { context.terminate() }
        let a = try Socket(context: context, type: .pull), b = try Socket(context: context, type: .pull)
        let pushB = try Socket(context: context, type: .push)
        defer { a.close(); b.close(); pushB.close() }
        try a.bind("inproc://poll-a")
        try b.bind("inproc://poll-b")
        try pushB.connect("inproc://poll-b")
        try pushB.send([1, 2, 3])
        var poller = Poller()
        let ia = poller.add(a, .readable), ib = poller.add(b, .readable)
        #expect(try poller.poll(timeout: 1000) == 1)
        #expect(poller.ready(ia).isEmpty)
        #expect(poller.ready(ib).contains(.readable))
    }

    @Test func z85MatchesTheSpecificationVectorAndRejectsBadText() throws {
        // ZeroMQ RFC 32's test vector.
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Z85.encode(bytes) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == bytes)
        #expect(throws: Z85.Error.badLength(3)) { try Z85.encode([1, 2, 3]) }
        #expect(throws: Z85.Error.badLength(4)) { try Z85.decode("abcd") }
        #expect(throws: Z85.Error.badCharacter) { try Z85.decode("Hello\"orld") }
    }

    @Test func curveKeyPairsAreFreshAndConsistent() throws {
        let a = try CurveKeyPair.generate(), b = try CurveKeyPair.generate()
        #expect(a != b)
        #expect(a.publicKey.utf8.count == 40 && a.secretKey.utf8.count == 40)
        #expect(try CurveKeyPair.publicKey(forSecret: a.secretKey) == a.publicKey)
        #expect(try Z85.decode(a.publicKey).count == 32)
    }
}
