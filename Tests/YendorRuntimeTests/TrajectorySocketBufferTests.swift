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
              case .receiveBuffer(let received)? = c.transport.trajectoryReceiveOptions.first else {
            Issue.record("no buffer options by default")
            return
        }
        #expect(sent == 128 << 10 && received == 128 << 10)
        try TrainingConfiguration.table.set("transport.socket_buffer_kib", "0", in: &c, source: "test")
        try c.validate()
        #expect(c.transport.trajectorySendBuffer.isEmpty)
        #expect(!c.transport.trajectoryReceiveOptions.contains { if case .receiveBuffer = $0 { true } else { false } })
        for bad in ["-1", "\(TransportConfiguration.maxSocketBufferKiB + 1)"] {
            try TrainingConfiguration.table.set("transport.socket_buffer_kib", bad, in: &c, source: "test")
            #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "transport.socket_buffer_kib" }
        }
    }

    /// The worker's and the learner's links, connected over TCP: once a trajectory has crossed,
    /// this process holds a TCP socket whose send buffer and one whose receive buffer are the
    /// configured size (Linux reports twice the value set).
    @Test func aWorkerAndALearnerSetTheirTrajectoryConnectionsKernelBuffers() async throws {
        var t = Self.loopback()
        t.socketBufferKiB = 72  // a size no autotuned buffer starts at
        try await Self.withOneTrajectoryAcross(t) {
            let sizes = Self.sockets().compactMap { fd in
                Self.option(fd, SOL_SOCKET, SO_SNDBUF).flatMap { send in Self.option(fd, SOL_SOCKET, SO_RCVBUF).map { (send: send, receive: $0) } }
            }
            #expect(sizes.contains { $0.send == 2 * 72 << 10 }, "\(sizes)")
            #expect(sizes.contains { $0.receive == 2 * 72 << 10 }, "\(sizes)")
        }
    }

    /// Trial C8: the learner never sends on a trajectory connection and it carries no ZMTP
    /// heartbeat, so the connections of a node that vanished stayed open for good. The learner's
    /// end of a real TCP trajectory connection now has kernel keepalive with the configured idle
    /// time (3 probes a quarter of it apart); `transport.keepalive_s` 0 leaves it off.
    @Test func theLearnersTrajectoryConnectionsProbeAPeerThatFellSilent() async throws {
        var t = Self.loopback()
        t.keepaliveSeconds = 7  // no system default
        try await Self.withOneTrajectoryAcross(t) {
            let tcp = Int32(IPPROTO_TCP)
            let probing = Self.sockets().filter { Self.option($0, SOL_SOCKET, SO_KEEPALIVE) == 1 }.map {
                [Self.option($0, tcp, TCP_KEEPIDLE), Self.option($0, tcp, TCP_KEEPINTVL), Self.option($0, tcp, TCP_KEEPCNT)]
            }
            #expect(probing.contains([7, 1, 3]), "\(probing)")
        }
        var off = TransportConfiguration()
        off.keepaliveSeconds = 0
        #expect(!off.trajectoryReceiveOptions.contains { if case .tcpKeepalive = $0 { true } else { false } })
    }

    /// Transport settings for a learner and a worker on 127.0.0.1, on free ports.
    static func loopback() -> TransportConfiguration {
        var t = TransportConfiguration()
        let port = ChildProcess.freePortRange(count: 2)
        t.trajectories = "tcp://127.0.0.1:\(port)"
        t.weights = "tcp://127.0.0.1:\(port + 1)"
        return t
    }

    /// Binds a learner's link and connects a worker's, sends one trajectory across, and runs
    /// `check` while both ends of the connection are open.
    static func withOneTrajectoryAcross(_ t: TransportConfiguration, _ check: () -> Void) async throws {
        let context = try Context()
        defer { context.terminate() }
        let learner = try await ZeroMQLearnerLink.bind(t, context: context, logger: Logger(label: "test"))
        let worker = try await ZeroMQWorkerLink.connect(t, trajectories: t.trajectories, weights: t.weights, context: context)
        try await worker.send(ZeroMQLearnerLinkTests.trajectory())
        if case .trajectory? = await learner.receive() { check() } else { Issue.record("expected the trajectory") }
        _ = await worker.close(sayingGoodbye: nil, flushingWithin: .zero, acknowledgedAs: nil)
        await learner.close(reason: "test over")
    }

    /// The file descriptors of this process that are sockets.
    static func sockets() -> [Int32] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { name in
            guard let fd = Int32(name), let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
                  target.hasPrefix("socket:") else { return nil }
            return fd
        }
    }

    /// An integer socket option, nil when the socket has none of that kind.
    static func option(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int? {
        var value: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, level, name, &value, &size) == 0 ? Int(value) : nil
    }
}
