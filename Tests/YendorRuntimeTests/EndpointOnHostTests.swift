import Testing
@testable import YendorRuntime

/// Where a role connects when the user names the other role's host (`--learner`, `reward.annotator`).
struct EndpointOnHostTests {
    @Test(arguments: [
        // The named host replaces whatever host the endpoint names, the port stays: before, only
        // 0.0.0.0 and * were replaced, so an endpoint of a named interface ignored --learner.
        ("tcp://0.0.0.0:5555", "10.0.0.7", "tcp://10.0.0.7:5555"),
        ("tcp://*:5556", "learner.cluster", "tcp://learner.cluster:5556"),
        ("tcp://127.0.0.1:48290", "10.0.0.7", "tcp://10.0.0.7:48290"),
        ("tcp://[::1]:5557", "[fd00::7]", "tcp://[fd00::7]:5557"),
        // Unix and in-process sockets have no host.
        ("ipc:///tmp/run/sockets/weights", "10.0.0.7", "ipc:///tmp/run/sockets/weights"),
        ("inproc://yendor-1-weights", "10.0.0.7", "inproc://yendor-1-weights"),
    ])
    func theNamedHostReplacesTheEndpointsHostAndKeepsItsPort(configured: String, host: String, expected: String) {
        #expect(TransportConfiguration.endpoint(configured, onHost: host) == expected)
    }

    @Test(arguments: [
        ("10.0.0.5", nil), ("learner.cluster", nil), ("[::1]", nil),
        ("10.0.0.5:5555", "names a port"), ("tcp://10.0.0.5", "is an endpoint"), ("host name", "is not a host name or address"),
    ] as [(String, String?)])
    func aHostIsRefusedWithAPortASchemeOrASpace(host: String, said: String?) {
        let problem = TransportConfiguration.hostProblem(host, ports: "transport.trajectories")
        #expect(problem.map { p in said.map { p.contains($0) } ?? false } ?? (said == nil), "\(problem ?? "nil")")
    }

    @Test(arguments: [
        ("tcp://10.0.0.5:5555", "10.0.0.5"), ("tcp://learner.cluster:5556", "learner.cluster"),
        ("tcp://[fd00::7]:5557", "fd00::7"),
        // libzmq's source;destination form: the peer is the destination.
        ("tcp://10.0.0.9;learner.cluster:5555", "learner.cluster"),
        ("tcp://*:5555", nil), ("ipc:///tmp/run/sockets/weights", nil), ("inproc://yendor-1-weights", nil),
    ] as [(String, String?)])
    func theHostOfAnEndpointIsTheNameAPeerIsLookedUpBy(endpoint: String, host: String?) {
        #expect(EndpointHost(endpoint: endpoint)?.name == host)
    }

    @Test func aHostThatDoesNotResolveIsToldFromOneThatDoes() async throws {
        for address in ["tcp://127.0.0.1:5555", "tcp://[::1]:5555"] {
            let host = try #require(EndpointHost(endpoint: address))
            #expect(await host.resolutionFailure() == nil, "\(address)")
        }
        // RFC 6761: a .invalid name never resolves, with a DNS server or without one.
        let unknown = try #require(EndpointHost(endpoint: "tcp://no-such-learner.invalid:5555"))
        #expect(await unknown.resolutionFailure() != nil)
        // A stopping role does not wait for a slow resolver: cancelled, the lookup says nothing.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await unknown.resolutionFailure()
        }
        #expect(await cancelled.value == nil)
    }
}
