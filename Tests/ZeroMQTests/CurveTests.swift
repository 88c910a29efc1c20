import Foundation
import Testing
@testable import ZeroMQ

/// CURVE between two sockets over real TCP: only a client that knows the server's key gets through.
@Suite("CURVE security")
struct CurveTests {
    /// Starts a CURVE server PULL and a client PUSH configured by `client`, and sends until a
    /// message arrives or the server's handshake with the client has failed (its monitor says so);
    /// returns what arrived and whether the handshake failed.
    func exchange(client configure: (Socket, CurveKeyPair) throws -> Void) throws -> (received: [[UInt8]], refused: Bool) {
        let context = try Context()
        defer { context.terminate() }
        let serverKeys = try CurveKeyPair.generate()
        let server = try Socket(context: context, type: .pull)
        let client = try Socket(context: context, type: .push)
        let events = try Socket(context: context, type: .pair)
        defer { try? server.monitor(nil, events: []); events.close(); server.close(); client.close() }
        try server.set([.curveServer(secretKey: serverKeys.secretKey), .receiveTimeout(milliseconds: 20)])
        let monitor = "inproc://curve-test-monitor"
        try server.monitor(monitor, events: .handshakeFailed)
        try events.set([.receiveTimeout(milliseconds: 1), .linger(milliseconds: 0)])
        try events.connect(monitor)
        try server.bind("tcp://127.0.0.1:*")
        try client.set([.linger(milliseconds: 0), .immediate(true)])
        try configure(client, serverKeys)
        try client.connect(server.lastEndpoint)
        var received: [[UInt8]] = []
        // A hang guard only: one of the two events ends the loop.
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            _ = try client.send(Array("secret payload".utf8), dontWait: true)
            if let m = try? server.receive() { received.append(m[0].bytes); break }
            if let report = try? events.receive(), let first = report.first, Socket.monitorEvent(first)?.isDisjoint(with: .handshakeFailed) == false {
                // Anything the client got through would have been received before its handshake failed.
                while let m = try? server.receive(dontWait: true) { received.append(m[0].bytes) }
                return (received, true)
            }
        }
        return (received, false)
    }

    @Test func aClientWithTheServerKeyTalks() throws {
        let got = try exchange(client: { socket, server in
            let mine = try CurveKeyPair.generate()
            try socket.set(.curveClient(serverKey: server.publicKey, publicKey: mine.publicKey, secretKey: mine.secretKey))
        })
        #expect(got.received == [Array("secret payload".utf8)] && !got.refused)
    }

    @Test func aClientWithAWrongServerKeyGetsNothingThrough() throws {
        let got = try exchange(client: { socket, _ in
            let mine = try CurveKeyPair.generate(), impostor = try CurveKeyPair.generate()
            try socket.set(.curveClient(serverKey: impostor.publicKey, publicKey: mine.publicKey, secretKey: mine.secretKey))
        })
        #expect(got.refused && got.received.isEmpty)
    }

    @Test func aClientWithoutCurveGetsNothingThrough() throws {
        let got = try exchange(client: { _, _ in })
        #expect(got.refused && got.received.isEmpty)
    }
}

@Suite("ZAP allow-list")
struct CurveAuthenticatorTests {
    @Test func onlyAllowListedClientKeysGetThrough() async throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate(), friend = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let zap = try CurveAuthenticator(context: context, allowedPublicKeys: [friend.publicKey])
        let server = try Socket(context: context, type: .pull)
        try server.set([.curveServer(secretKey: serverKeys.secretKey), .receiveTimeout(milliseconds: 20)])
        try server.bind("tcp://127.0.0.1:*")
        /// Sends until the message arrives (true) or the allow-list has refused one more handshake (false).
        func attempt(_ keys: CurveKeyPair, tag: UInt8) throws -> Bool {
            let client = try Socket(context: context, type: .push)
            defer { client.close() }
            try client.set([.linger(milliseconds: 0), .immediate(true),
                            .curveClient(serverKey: serverKeys.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey)])
            let refusedBefore = zap.refused.load(ordering: .relaxed)
            try client.connect(server.lastEndpoint)
            // A hang guard only: one of the two events ends the loop.
            let deadline = Date().addingTimeInterval(600)
            while Date() < deadline {
                _ = try client.send([tag], dontWait: true)
                if let m = try? server.receive(), m[0].bytes == [tag] {
                    #expect(m[0].property("User-Id") == keys.publicKey)
                    return true
                }
                if zap.refused.load(ordering: .relaxed) > refusedBefore {
                    // Anything it got through would have been received before its handshake was refused.
                    while let m = try? server.receive(dontWait: true) { if m[0].bytes == [tag] { return true } }
                    return false
                }
            }
            Issue.record("neither delivered nor refused")
            return false
        }
        #expect(try attempt(friend, tag: 1))
        #expect(try !attempt(stranger, tag: 2))
        #expect(zap.accepted.load(ordering: .relaxed) >= 1 && zap.refused.load(ordering: .relaxed) >= 1)
        server.close()
        await zap.close()
        context.terminate()
    }
}

@Suite("Key files")
struct KeyFileTests {
    @Test func aKeyFileIsReadEvenWhenItsPathLooksLikeAKey() throws {
        let key = try CurveKeyPair.generate().publicKey
        // A 40-character path made only of Z85 characters.
        let dir = "/tmp/yendor-keytest-\(UInt32.random(in: 100_000...999_999))"
        let path = dir + "/" + String(repeating: "k", count: 40 - dir.count - 1)
        #expect(path.utf8.count == 40 && (try? Z85.decode(path)) != nil)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try CurveKeyPair.readKey(from: path) == key)
        #expect(try CurveKeyPair.readKey(from: key) == key)
        #expect(throws: ZMQError.self) { try CurveKeyPair.readKey(from: "/nonexistent/key.pub") }
    }
}
