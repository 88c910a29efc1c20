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
                        .sendBuffer(bytes: 96 << 10), .receiveBuffer(bytes: 80 << 10)])
        #expect(try socket.intOption(17) == 250)  // ZMQ_LINGER
        #expect(try socket.intOption(11) == 96 << 10)  // ZMQ_SNDBUF
        #expect(try socket.intOption(12) == 80 << 10)  // ZMQ_RCVBUF
        #expect(try socket.intOption(23) == 17)   // ZMQ_SNDHWM
        #expect(try socket.intOption(24) == 19)   // ZMQ_RCVHWM
        #expect(try socket.intOption(75) == 1000) // ZMQ_HEARTBEAT_IVL
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
