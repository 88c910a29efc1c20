import Foundation
import Testing
@testable import ZeroMQ
import YendorSupport
import YendorTestSupport

@Suite("Async bridge")
struct AsyncSocketTests {
    @Test func messagesFlowBothWaysBetweenAsyncSockets() async throws {
        let context = try Context()
        let server = try await AsyncSocket(context: context, type: .router, name: "server") { try $0.bind("inproc://rpc") }
        let client = try await AsyncSocket(context: context, type: .dealer, name: "client") {
            try $0.set(.routingID(Array("c1".utf8)))
            try $0.connect("inproc://rpc")
        }
        for i in 0..<200 {
            try await client.send([Array("ping \(i)".utf8)])
            let request = try #require(await server.receive())
            #expect(request[0].bytes == Array("c1".utf8))
            #expect(request[1].bytes == Array("ping \(i)".utf8))
            try await server.send([request[0].bytes, Array("pong \(i)".utf8)])
            let reply = try #require(await client.receive())
            #expect(reply[0].bytes == Array("pong \(i)".utf8))
        }
        await client.close()
        await server.close()
        context.terminate()
    }

    @Test func aFullOutboxMakesSendersWaitInsteadOfGrowing() async throws {
        let context = try Context()
        // A PUSH with no peer cannot send: its outbox fills and the next send must wait.
        let push = try await AsyncSocket(context: context, type: .push, name: "push", outboxCapacity: 4) {
            try $0.set([.sendHighWaterMark(1), .linger(milliseconds: 0)])
            try $0.bind("inproc://nobody")
        }
        // The socket's thread takes one message into its hand (libzmq, with no peer, takes none),
        // the rest wait in the outbox: fill both, so nothing can make room until a peer comes.
        var queued = 0
        #expect(await Poll.until(timeout: 600) {
            while push.trySend([[UInt8(queued)]]) { queued += 1 }
            return queued >= 5
        })
        #expect(queued == 5)
        let blocked = Task { try await push.send([[99]]) }
        // Once that sender waits, the outbox holds what it held: it did not grow.
        #expect(await Poll.until(timeout: 600) { push.waiting.senders == 1 })
        #expect(push.outboxDepth == 4)
        // A receiver drains everything, then the waiting sender completes.
        let pull = try await AsyncSocket(context: context, type: .pull, name: "pull") { try $0.connect("inproc://nobody") }
        var got: [UInt8] = []
        for _ in 0...queued { got.append(try #require(await pull.receive())[0].bytes[0]) }
        try await blocked.value
        #expect(got == Array(0..<UInt8(queued)) + [99])
        await pull.close()
        await push.close()
        context.terminate()
    }

    /// A PUSH over ipc holding 32 messages of 1 MiB for a peer that has read none of them yet
    /// (its inbox and high-water marks hold one each; the kernel's buffers a few).
    static func pushWithAFullOutbox(_ context: Context, _ name: String) async throws -> (push: AsyncSocket, pull: AsyncSocket, path: String) {
        let endpoint = ChildProcess.ipcEndpoint(name)
        let pull = try await AsyncSocket(context: context, type: .pull, name: "pull", inboxCapacity: 1) {
            try $0.set([.receiveHighWaterMark(1), .linger(milliseconds: 0)])
            try $0.bind(endpoint)
        }
        let push = try await AsyncSocket(context: context, type: .push, name: "push", outboxCapacity: 64) {
            try $0.set([.sendHighWaterMark(1), .linger(milliseconds: 0)])
            try $0.connect(endpoint)
        }
        for i in 0..<32 { try await push.send([[UInt8(i)] + [UInt8](repeating: 7, count: 1 << 20)]) }
        return (push, pull, String(endpoint.dropFirst("ipc://".count)))
    }

    /// A stopping worker's last trajectories: given time, a closing socket hands everything its
    /// outbox held to a peer that reads, in order (a plain `close` drops them).
    @Test func closingWithTimeToFlushDeliversWhatTheOutboxHeld() async throws {
        let context = try Context()
        let (push, pull, path) = try await Self.pushWithAFullOutbox(context, "flush")
        defer { unlink(path) }
        #expect(push.outboxDepth > 0)
        let reader = Task {
            var first: [UInt8] = []
            while first.count < 32, let message = await pull.receive() { first.append(message[0].bytes[0]) }
            return first
        }
        // Given all the time a loaded machine may need, to stall as to finish (a hang guard).
        let unsent = await push.close(flushingWithin: .seconds(600), givingUpAfter: .seconds(600))
        #expect(unsent == 0)
        if unsent > 0 { await pull.close() }  // the reader would wait for the lost ones for ever
        #expect(await reader.value == (0..<32).map(UInt8.init))
        await pull.close()
        context.terminate()
    }

    /// A peer that does not read does not hold a closing socket up: it waits no longer than the
    /// time given, nor than the stall time once the peer takes nothing (a learner that died with
    /// the `train` that started a worker), and says how many messages it dropped.
    @Test(arguments: [(Duration.milliseconds(1), Duration.seconds(3600)), (.seconds(3600), .milliseconds(100))])
    func closingWithoutAPeerThatReadsDropsTheRestAndSaysHowMany(flush: Duration, stall: Duration) async throws {
        let context = try Context()
        let (push, pull, path) = try await Self.pushWithAFullOutbox(context, "flush-stall")
        defer { unlink(path) }
        let unsent = AsyncBoundedQueue<Int>(capacity: 1)
        Task { unsent.trySend(await push.close(flushingWithin: flush, givingUpAfter: stall)) }
        // A hang guard, far beyond the short time: without it the close would wait an hour.
        #expect(await Poll.until(timeout: 300) { unsent.count == 1 })
        let dropped = unsent.tryReceive() ?? 0
        #expect(dropped > 0 && dropped <= 32, "\(dropped)")
        await pull.close()
        context.terminate()
    }

    @Test func closingWakesAPendingReceiverWithNil() async throws {
        let context = try Context()
        let pull = try await AsyncSocket(context: context, type: .pull, name: "idle") { try $0.bind("inproc://idle") }
        let waiter = Task { await pull.receive() }
        #expect(await Poll.until(timeout: 600) { pull.waiting.receivers == 1 })
        await pull.close()
        #expect(await waiter.value == nil)
        await #expect(throws: ZMQError.self) { try await pull.send([[1]]) }
        context.terminate()
    }

    @Test func setupErrorsSurfaceFromTheInitializer() async throws {
        let context = try Context()
        await #expect(throws: ZMQError.self) {
            _ = try await AsyncSocket(context: context, type: .pull, name: "bad") { try $0.bind("tcp://not-an-address:x") }
        }
        context.terminate()
    }

    @Test func boundedQueueReturnsWhatWasLeftWhenClosed() async {
        let queue = AsyncBoundedQueue<Int>(capacity: 2)
        #expect(queue.trySend(1) && queue.trySend(2))
        #expect(!queue.trySend(3))
        let waiting = Task { await queue.send(3) }
        #expect(await Poll.until(timeout: 600) { queue.waiting.senders == 1 })
        #expect(queue.tryReceive() == 1)
        #expect(await waiting.value)
        let left = queue.close()
        #expect(left == [2, 3])
        #expect(await queue.receive() == nil)
        #expect(await queue.send(4) == false)
    }

    @Test func cancellingAWaitingReceiverReturnsNil() async {
        let queue = AsyncBoundedQueue<Int>(capacity: 1)
        let waiter = Task { await queue.receive() }
        #expect(await Poll.until(timeout: 600) { queue.waiting.receivers == 1 })
        waiter.cancel()
        #expect(await waiter.value == nil)
        #expect(queue.trySend(5))
        #expect(queue.tryReceive() == 5)
    }
}
