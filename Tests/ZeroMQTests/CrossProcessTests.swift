import Foundation
import Testing
import YendorTestSupport
@testable import ZeroMQ

/// Two real processes over real sockets: this test process and `yendor _peer`.
@Suite("Cross-process transport", .serialized)
struct CrossProcessTests {
    static let messageCount = 10_000

    @Test(arguments: ["tcp", "ipc"])
    func tenThousandMultipartMessagesMakeARoundTripInOrder(transport: String) async throws {
        let context = try Context()
        defer { context.terminate() }
        let out = try Socket(context: context, type: .push)
        let back = try Socket(context: context, type: .pull)
        defer { out.close(); back.close() }
        let (outEndpoint, backEndpoint): (String, String)
        if transport == "tcp" {
            try out.bind("tcp://127.0.0.1:*")
            try back.bind("tcp://127.0.0.1:*")
            (outEndpoint, backEndpoint) = (out.lastEndpoint, back.lastEndpoint)
        } else {
            outEndpoint = ChildProcess.ipcEndpoint("out")
            backEndpoint = ChildProcess.ipcEndpoint("back")
            try out.bind(outEndpoint)
            try back.bind(backEndpoint)
        }
        let peer = try ChildProcess(yendor: ["_peer", "echo", "--endpoint", outEndpoint,
                                             "--reply-endpoint", backEndpoint, "--count", "\(Self.messageCount)"])
        #expect(await peer.waitForLine { $0 == "ready" } != nil, "peer failed: \(peer.standardError)")
        try out.set(.receiveTimeout(milliseconds: 120_000))
        try back.set(.receiveTimeout(milliseconds: 120_000))

        // Send and receive from two threads so neither side's high-water mark can deadlock the other.
        let sender = Thread {
            for i in 0..<Self.messageCount {
                let payload = (0..<(i % 97)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
                _ = try? out.send(parts: [withUnsafeBytes(of: UInt64(i).littleEndian) { Array($0) }, payload, Array("end".utf8)])
            }
        }
        sender.start()
        // Blocking receives run on a thread of their own, never on the cooperative pool.
        let (received, wrong) = try await offPool { () -> (Int, String?) in
            var received = 0
            for i in 0..<Self.messageCount {
                guard let parts = try? back.receive() else { break }
                let seq = parts[0].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
                let expected = (0..<(i % 97)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
                guard parts.count == 3, seq == UInt64(i), parts[1].bytes == expected, parts[2].bytes == Array("end".utf8) else {
                    return (received, "message \(i) arrived wrong: seq \(seq), \(parts.count) parts")
                }
                received += 1
            }
            return (received, nil)
        }
        #expect(wrong == nil)
        #expect(received == Self.messageCount, "peer: \(peer.lines) \(peer.standardError)")
        try out.send(parts: [Array("all received".utf8)])
        #expect(await peer.waitForExit(timeout: 600) == 0)
    }

    @Test func aLateSubscriberGetsLaterMessagesInOrder() async throws {
        let context = try Context()
        defer { context.terminate() }
        let pub = try Socket(context: context, type: .pub)
        defer { pub.close() }
        try pub.bind("tcp://127.0.0.1:*")
        var seq: UInt64 = 0
        func publish(_ n: Int) throws {
            for _ in 0..<n {
                try pub.send(withUnsafeBytes(of: seq) { Array($0) })
                seq += 1
            }
        }
        try publish(50)  // nobody listens yet: these are dropped
        let sub = try ChildProcess(yendor: ["_peer", "sub", "--endpoint", pub.lastEndpoint, "--count", "20"])
        #expect(await sub.waitForLine { $0 == "ready" } != nil)
        // Keep publishing until the subscription has propagated and 20 messages were received.
        let deadline = Date().addingTimeInterval(600)
        while sub.isRunning && Date() < deadline {
            try publish(1)
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await sub.waitForExit(timeout: 60) == 0)
        let got = sub.lines.compactMap { $0.hasPrefix("got ") ? UInt64($0.dropFirst(4)) : nil }
        #expect(got.count == 20)
        #expect(got.first.map { $0 >= 50 } == true, "a late subscriber cannot see messages sent before it joined")
        #expect(got == Array(got[0]..<got[0] + 20), "messages arrive in order without gaps")
    }

    @Test func routerAnswersTwoDealerClientsEachWithItsOwnReplies() async throws {
        let context = try Context()
        defer { context.terminate() }
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        try router.set([.routerMandatory(true), .receiveTimeout(milliseconds: 120_000)])
        try router.bind("tcp://127.0.0.1:*")
        let clients = try ["client-A", "client-B"].map {
            try ChildProcess(yendor: ["_peer", "dealer", "--endpoint", router.lastEndpoint, "--id", $0, "--count", "500"])
        }
        let (seen, foreign) = try await offPool { () -> ([String: Int], Int) in
            var seen: [String: Int] = [:], foreign = 0
            for _ in 0..<1000 {
                guard let parts = try router.receive() else { break }
                let identity = String(decoding: parts[0].bytes, as: UTF8.self)
                let request = String(decoding: parts[1].bytes, as: UTF8.self)
                if !request.hasPrefix(identity + ":") { foreign += 1 }
                seen[identity, default: 0] += 1
                try router.send(parts: [parts[0].bytes, Array("reply to \(request)".utf8)])
            }
            return (seen, foreign)
        }
        #expect(foreign == 0, "every request came from the identity it was routed with")
        #expect(seen == ["client-A": 500, "client-B": 500])
        for client in clients {
            #expect(await client.waitForExit(timeout: 60) == 0)
            #expect(client.lines.contains("ok 500"))
        }
    }

    /// With a linger set, closing does not hang on messages queued for a peer that is gone (the
    /// default linger, -1, would keep `terminate` waiting for ever).
    @Test func closingAContextWhosePeerVanishedReturns() async throws {
        let context = try Context()
        let push = try Socket(context: context, type: .push)
        let back = try Socket(context: context, type: .pull)
        try push.bind("tcp://127.0.0.1:*")
        try back.bind("tcp://127.0.0.1:*")
        let peer = try ChildProcess(yendor: ["_peer", "echo", "--endpoint", push.lastEndpoint,
                                             "--reply-endpoint", back.lastEndpoint, "--count", "1000000"])
        #expect(await peer.waitForLine { $0 == "ready" } != nil)
        try push.send([1])
        #expect(try back.receive()?.first?.bytes == [1])
        peer.kill()
        _ = await peer.waitForExit()
        // Messages queue up for the dead peer; linger 200 ms bounds how long close keeps them.
        try push.set([.linger(milliseconds: 200), .sendTimeout(milliseconds: 100)])
        for i in 0..<100 { _ = try push.send([UInt8(i)], dontWait: true) }
        let start = Date()
        push.close()
        back.close()
        context.terminate()
        // Only a hang fails this: the bound is far above the 200 ms linger, for a loaded machine.
        #expect(Date().timeIntervalSince(start) < 120, "terminate must not hang on a vanished peer")
    }
}
