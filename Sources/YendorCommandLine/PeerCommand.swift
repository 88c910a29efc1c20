import ArgumentParser
import Foundation
import Logging
import YendorSupport
import YendorWire
import ZeroMQ

/// A hidden subcommand that plays the other end of a socket for the integration tests and the
/// transport benchmark, so they exercise two real processes over real sockets.
struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_peer", abstract: "Test peer for the transport tests and benchmarks.", shouldDisplay: false)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        /// PULL from --endpoint, PUSH --count messages unchanged to --reply-endpoint, then wait for one
        /// more message (the test's "all received") before closing.
        case echo
        /// SUB to --endpoint, print each message's sequence number, stop after --count.
        case sub
        /// DEALER to --endpoint with --id; send --count requests and check every reply.
        case dealer
        /// PULL --count messages from --endpoint (binding), checking and viewing them as TrajectoryBatches
        /// when --decode (message i must carry policy version i); print a summary.
        case pull
        /// PUSH --count messages to --endpoint: raw frames of --size bytes, or encoded batches with --batch.
        case push
    }

    @Argument(help: "What to do: \(Mode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mode: Mode

    @Option(help: "Endpoint to connect (or bind, for pull).")
    var endpoint: String

    @Option(help: "Second endpoint (echo's reply socket).")
    var replyEndpoint: String?

    @Option(help: "Messages to handle before exiting.")
    var count: Int = 1000

    @Option(help: "Frame size in bytes (push).")
    var size: Int = 65536

    @Option(help: "Routing id (dealer).")
    var id: String = "peer"

    @Flag(help: "push: send encoded TrajectoryBatch messages; pull: decode every message.")
    var batch = false

    @Flag(help: "pull: decode each message as a TrajectoryBatch.")
    var decode = false

    @Option(help: "CURVE server public key (client side).")
    var curveServerKey: String?

    @Option(name: .customLong("parent-pid"), help: "Stop when this process, the benchmark that started the peer, is gone (a pull would wait for its sender for ever).")
    var parentPID: Int32?

    func run() throws {
        let watch = parentPID.map { ShutdownSignals.stopWhenGone(parent: $0, starter: "the yendor bench that started this peer", logger: Logger(label: "yendor-peer")) }
        defer { watch?.cancel() }
        let context = try Context()
        defer { context.terminate() }
        switch mode {
        case .echo: try echo(context)
        case .sub: try subscribe(context)
        case .dealer: try dealer(context)
        case .pull: try pull(context)
        case .push: try push(context)
        }
    }

    private func secure(_ socket: Socket) throws {
        guard let serverKey = curveServerKey else { return }
        let keys = try CurveKeyPair.generate()
        try socket.set(.curveClient(serverKey: serverKey, publicKey: keys.publicKey, secretKey: keys.secretKey))
    }

    private func echo(_ context: Context) throws {
        guard let replyEndpoint else { throw ValidationError("echo needs --reply-endpoint") }
        let input = try Socket(context: context, type: .pull)
        let output = try Socket(context: context, type: .push)
        defer { input.close(); output.close() }
        try output.set(.linger(milliseconds: 5000))
        try input.connect(endpoint)
        try output.connect(replyEndpoint)
        print("ready")
        fflush(nil)
        for _ in 0..<count {
            let parts = try input.receive()!
            try output.send(parts: parts.map(\.bytes))
        }
        print("done \(count)")
        fflush(nil)
        // libzmq 4.3 can drop queued ipc messages at close despite ZMQ_LINGER (libzmq#4660), so the
        // peer closes only after the other side confirms it has everything.
        _ = try input.receive()
    }

    private func subscribe(_ context: Context) throws {
        let socket = try Socket(context: context, type: .sub)
        defer { socket.close() }
        try socket.set(.subscribe([]))
        try socket.connect(endpoint)
        print("ready")
        fflush(nil)
        for _ in 0..<count {
            let parts = try socket.receive()!
            let seq = parts[0].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            print("got \(seq)")
            fflush(nil)
        }
    }

    private func dealer(_ context: Context) throws {
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.set([.routingID(Array(id.utf8)), .linger(milliseconds: 1000)])
        try socket.connect(endpoint)
        for i in 0..<count {
            let request = "\(id):\(i)"
            try socket.send(parts: [Array(request.utf8)])
            let reply = try socket.receive()!
            let text = String(decoding: reply[0].bytes, as: UTF8.self)
            guard text == "reply to \(request)" else {
                print("mismatch: sent \(request), got \(text)")
                throw ExitCode(2)
            }
        }
        print("ok \(count)")
    }

    private func pull(_ context: Context) throws {
        let socket = try Socket(context: context, type: .pull)
        defer { socket.close() }
        try socket.set(.receiveHighWaterMark(256))
        try socket.bind(endpoint)
        print("ready \(socket.lastEndpoint)")
        fflush(nil)
        var bytes = 0
        var misaligned = 0
        var sink = 0
        var start = ContinuousClock.now
        var cpuStart = 0.0
        for i in 0..<count {
            let frame = try socket.receiveFrame()!
            if i == 0 {  // the clocks start at the first message: connection setup excluded
                start = .now
                cpuStart = TransportBenchmark.processCPUSeconds()
            }
            bytes += frame.count
            if decode {
                // Full check (CRC + structure) in place, then read columns through the view.
                sink &+= try frame.withUnsafeBytes { raw in
                    if Int(bitPattern: raw.baseAddress) % 8 != 0 { misaligned += 1 }
                    return try TrajectoryBatchView.withView(of: raw) { batch in
                        guard batch.policyVersion == UInt64(i) else {
                            throw ValidationError("message \(i) carries policy version \(batch.policyVersion)")
                        }
                        return TransportBenchmark.touch(batch)
                    }
                }
            }
        }
        let seconds = (ContinuousClock.now - start).seconds
        let cpu = TransportBenchmark.processCPUSeconds() - cpuStart
        print("received \(count) messages \(bytes) bytes in \(seconds) s misaligned \(misaligned) sum \(sink & 0xFF) cpu \(cpu)")
    }

    private func push(_ context: Context) throws {
        let socket = try Socket(context: context, type: .push)
        defer { socket.close() }
        try socket.set([.sendHighWaterMark(256), .linger(milliseconds: 10_000)])
        try secure(socket)
        try socket.connect(endpoint)
        try TransportBenchmark.send(socket, size: size, count: count, batches: batch)
        print("sent \(count)")
    }
}
