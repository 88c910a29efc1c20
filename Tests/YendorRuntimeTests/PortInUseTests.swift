import Foundation
import Testing
import YendorTestSupport
import ZeroMQ

/// A role whose listening address another process holds stops at once, naming the setting that
/// gave the address (it said only `bind(…): EADDRINUSE` and exited 1).
@Suite("Port in use")
struct PortInUseTests {
    /// A socket that holds a port for the test's length.
    static func holding() throws -> (context: Context, socket: Socket, port: Int) {
        let context = try Context(), socket = try Socket(context: context, type: .pull)
        let port = ChildProcess.freePort()
        try socket.bind("tcp://127.0.0.1:\(port)")
        return (context, socket, port)
    }

    @Test func aLearnerWhoseTrajectoryPortIsTakenNamesTheSettingAndExits64() async throws {
        let held = try Self.holding()
        defer { held.socket.close(); held.context.terminate() }
        let (dir, config) = try TinyRun.scratch("port-in-use", checkpointInterval: 60)
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path,
                                                "--set", "transport.trajectories=tcp://127.0.0.1:\(held.port)"])
        defer { learner.kill() }
        #expect(await learner.waitForExit(timeout: 600) == 64)
        #expect(learner.standardError.contains("configuration error in transport.trajectories (bind): tcp://127.0.0.1:\(held.port) is in use"),
                "\(learner.standardError.suffix(1500))")
    }

    /// libzmq binds to an address or an interface, not a host name: `localhost` was a bare ENODEV.
    @Test func aLearnerToldToListenOnAHostNameSaysWhatAListeningAddressIs() async throws {
        let (dir, config) = try TinyRun.scratch("bind-host-name", checkpointInterval: 60)
        let learner = try ChildProcess(yendor: ["learner", "--config", config, "--run-dir", dir.appendingPathComponent("run").path,
                                                "--set", "transport.weights=tcp://localhost:\(ChildProcess.freePort())"])
        defer { learner.kill() }
        #expect(await learner.waitForExit(timeout: 600) == 64)
        #expect(learner.standardError.contains("configuration error in transport.weights (bind)") && learner.standardError.contains("not a host name"),
                "\(learner.standardError.suffix(1500))")
    }

    @Test func anAnnotatorWhoseLabelsPortIsTakenNamesTheFlagAndExits64() async throws {
        let held = try Self.holding()
        defer { held.socket.close(); held.context.terminate() }
        let store = Scratch.path + "yendor-port-in-use-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: store) }
        let annotator = try ChildProcess(yendor: ["annotator", "--requests", "tcp://127.0.0.1:\(ChildProcess.freePort())",
                                                  "--labels", "tcp://127.0.0.1:\(held.port)", "--store", store])
        defer { annotator.kill() }
        #expect(await annotator.waitForExit(timeout: 600) == 64)
        #expect(annotator.standardError.contains("--labels tcp://127.0.0.1:\(held.port) is in use"), "\(annotator.standardError.suffix(1500))")
    }
}
