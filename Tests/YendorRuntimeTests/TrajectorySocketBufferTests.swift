import Foundation
import Logging
import Testing
@testable import YendorRuntime
import YendorTestSupport
import YendorWire
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// ZeroMQ's high-water marks count messages: the kernel's autotuned TCP buffers under them held
/// megabytes of trajectories more, each a version of policy lag. `transport.socket_buffer_kib` sets
/// them at both ends of every trajectory connection.
@Suite struct TrajectorySocketBufferTests {
    @Test func theSocketBufferIsBoundedByDefaultAndZeroLeavesItToTheSystem() throws {
        var c = TrainingConfiguration()
        guard case .sendBuffer(let sent)? = c.transport.trajectorySendBuffer.first,
              case .receiveBuffer(let received)? = c.transport.trajectoryReceiveBuffer.first else {
            Issue.record("no buffer options by default")
            return
        }
        #expect(sent == 128 << 10 && received == 128 << 10)
        try TrainingConfiguration.table.set("transport.socket_buffer_kib", "0", in: &c, source: "test")
        try c.validate()
        #expect(c.transport.trajectorySendBuffer.isEmpty && c.transport.trajectoryReceiveBuffer.isEmpty)
        for bad in ["-1", "\(TransportConfiguration.maxSocketBufferKiB + 1)"] {
            try TrainingConfiguration.table.set("transport.socket_buffer_kib", bad, in: &c, source: "test")
            #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "transport.socket_buffer_kib" }
        }
    }

    /// The worker's and the learner's links, connected over TCP: once a trajectory has crossed,
    /// this process holds a TCP socket whose send buffer and one whose receive buffer are the
    /// configured size (Linux reports twice the value set).
    @Test func aWorkerAndALearnerSetTheirTrajectoryConnectionsKernelBuffers() async throws {
        var t = TransportConfiguration()
        let port = ChildProcess.freePortRange(count: 2)
        t.trajectories = "tcp://127.0.0.1:\(port)"
        t.weights = "tcp://127.0.0.1:\(port + 1)"
        t.socketBufferKiB = 72  // a size no autotuned buffer starts at
        let context = try Context()
        defer { context.terminate() }
        let learner = try await ZeroMQLearnerLink.bind(t, context: context, logger: Logger(label: "test"))
        let worker = try await ZeroMQWorkerLink.connect(t, trajectories: t.trajectories, weights: t.weights, context: context)
        try await worker.send(ZeroMQLearnerLinkTests.trajectory())
        guard case .trajectory? = await learner.receive() else {
            Issue.record("expected the trajectory")
            return
        }
        let sizes = Self.socketBufferSizes()
        #expect(sizes.contains { $0.send == 2 * 72 << 10 }, "\(sizes)")
        #expect(sizes.contains { $0.receive == 2 * 72 << 10 }, "\(sizes)")
        _ = await worker.close(sayingGoodbye: nil, flushingWithin: .zero, acknowledgedAs: nil)
        await learner.close(reason: "test over")
    }

    /// SO_SNDBUF and SO_RCVBUF of every socket this process has open.
    static func socketBufferSizes() -> [(send: Int, receive: Int)] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { name -> (send: Int, receive: Int)? in
            guard let fd = Int32(name),
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
                  target.hasPrefix("socket:") else { return nil }
            func option(_ which: Int32) -> Int? {
                var value: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                return getsockopt(fd, SOL_SOCKET, which, &value, &size) == 0 ? Int(value) : nil
            }
            guard let send = option(SO_SNDBUF), let receive = option(SO_RCVBUF) else { return nil }
            return (send, receive)
        }
    }
}
