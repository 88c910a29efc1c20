import Foundation
import Logging
import RemoteEnvironment
import ServiceLifecycleTestKit
import Synchronization
import Testing
import YendorSupport
import YendorTestSupport
import YendorTransport
import YendorWire
import ZeroMQ
@testable import YendorRuntime

/// A worker that is stopping while its last rollout is still under way, over an in-memory network.
/// Its envs are a real `yendor-env serve` process whose steps wait at a gate (a file the test
/// creates): a worker steps env servers on a thread of its own, so the wait holds no thread of the
/// cooperative pool, and the worker hears its learner throughout.
@Suite("A stopping worker", .serialized, .enabled(if: GymFixture.available, "needs .venv with yendor-env (make deps)"))
struct StoppingWorkerTests {
    /// It goes on saying Hello until its Goodbye: it stopped saying it as the stop began, so a
    /// learner timed out a worker whose envs took longer than a peer timeout to finish its last
    /// rollout (trial G: "worker worker-local timed out" at every stop of a slow env's run).
    @Test func aStoppingWorkerSaysHelloWhileItFinishesItsRollout() async throws {
        var c = try InMemoryRoleTests.configuration()
        let gate = Scratch.path + "gate-\(UUID().uuidString.prefix(8))"
        let endpoint = "ipc://\(Scratch.path)yendor-env-\(UUID().uuidString.prefix(8))"
        // One rollout's steps pass; the next rollout waits at its first step until the gate exists.
        let server = try ChildProcess(executable: GymFixture.executable, arguments: [
            "serve", "--env", "YendorTest-Gated-v0", "--num-envs", "\(c.env.envsPerActor)", "--bind", endpoint,
            "--import", "helpers_env", "--env-arg", "gate=\(gate)", "--env-arg", "free_steps=\(c.env.rolloutLength)", "--env-arg", "raise_on=99"],
            environment: ["PYTHONPATH": GymFixture.repository.appendingPathComponent("python/tests").path])
        defer { server.kill() }
        let probe = try await offPool { try RemoteVectorEnv.probe(endpoint: endpoint, timeout: 600) }
        try TrainingConfiguration.table.apply(overrides: [
            "env.kind=server", "env.servers=\(endpoint)", "env.server_spec=\(probe.spec.fingerprint)",
            "env.task=\(probe.task)", "env.server_timeout=600"], to: &c)
        c.transport.leaveTimeout = 600  // the rollout ends when the test opens the gate, however loaded the machine
        let network = InMemoryNetwork(capacity: c.transport.queueCapacity)
        let learner = network.learnerLink()
        let worker = WorkerService(configuration: c, workerID: "w", context: try Context(), logger: InMemoryRoleTests.quiet) { network.workerLink() }
        let ended = StopFlag(), beat = c.transport.heartbeatInterval, tensors = try InMemoryRoleTests.wireTensors(c)
        let weights = InMemoryRoleTests.weights(c, 0, tensors)
        try await testGracefulShutdown { trigger in
            let running = Task { defer { ended.set() }; try await worker.run() }
            defer { running.cancel() }
            // The learner this test plays is heard throughout: a stopping worker waits to hand its
            // last trajectory to a learner it hears.
            let beating = Task {
                var sequence: UInt64 = 0
                while !Task.isCancelled && !ended.isSet {
                    await learner.publish(.heartbeat(Heartbeat(id: "learner", sequence: sequence, timeNanos: 0, policyVersion: 0)))
                    sequence += 1
                    try? await Task.sleep(for: .seconds(beat))
                }
            }
            defer { beating.cancel() }
            #expect(await InMemoryRoleTests.next(learner.receive) { if case .hello = $0 { true } else { nil } } == true, "a Hello")
            await learner.publish(weights)
            // One trajectory read, and the next rollout waits at the gate (a stop before it began
            // would end the worker at once, rightly).
            #expect(await InMemoryRoleTests.trajectory(actedBy: 0, learner.receive), "a trajectory")
            #expect(await Poll.until { FileManager.default.fileExists(atPath: gate + ".held") })
            trigger.triggerGracefulShutdown()
            #expect(await Poll.until { worker.isHandingOver || ended.isSet })
            try #require(!ended.isSet, "the worker stopped without waiting for its last rollout")
            // Four, one every 1.4 s (TinyRun): those queued before the stop (one, or two on a loaded
            // machine, between the trajectory read and the stop) are not enough.
            let hellos = Mutex(0)
            #expect(await InMemoryRoleTests.next(learner.receive) { message -> Bool? in
                guard case .hello = message else { return nil }
                return hellos.withLock { $0 += 1; return $0 == 4 } ? true : nil
            } == true, "Hellos while the last rollout is still under way")
            #expect(!ended.isSet)
            #expect(FileManager.default.createFile(atPath: gate, contents: Data()))
            var goodbye = false, last = false
            while !goodbye, let received = await learner.receive() {
                if case .trajectory = received { last = true }
                if case .message(.goodbye(let g)) = received, g.id == "w" { goodbye = true }
            }
            _ = await running.result
            #expect(last, "the last rollout's trajectory")
            #expect(goodbye)
        }
    }
}
