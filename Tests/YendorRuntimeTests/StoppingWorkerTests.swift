import Dungeon
import Foundation
import Logging
import Synchronization
import Testing
import YendorEnvironment
import YendorSupport
import YendorTestSupport
import YendorTransport
import YendorWire
import ZeroMQ
import ServiceLifecycleTestKit
@testable import YendorRuntime

/// A worker that is stopping but still finishing a rollout over an in-memory network.
@Suite("A stopping worker")
struct StoppingWorkerTests {
    /// Lets a number of steps through, then holds the envs' steps until opened.
    final class Gate: Sendable {
        private let left: Atomic<Int>
        init(steps: Int) { left = Atomic(steps) }
        /// Waits for a step to be let through.
        func pass() {
            while true {
                let n = left.load(ordering: .relaxed)
                if n > 0, left.compareExchange(expected: n, desired: n - 1, ordering: .relaxed).exchanged { return }
                usleep(2_000)
            }
        }
        func open() { left.store(Int.max / 2, ordering: .relaxed) }
    }

    /// Dungeon's envs, whose `step` waits while the gate is closed: a rollout slower than any
    /// timeout, for as long as the test says.
    final class GatedEnv: VectorEnvironment {
        let inner: VectorEnv
        let gate: Gate
        init(_ inner: VectorEnv, gate: Gate) {
            self.inner = inner
            self.gate = gate
        }
        var spec: ObservationSpec { inner.spec }
        var count: Int { inner.count }
        var taskName: String { inner.taskName }
        var glyphs: UnsafeBufferPointer<Int16> { inner.glyphs }
        var crop: UnsafeBufferPointer<Int16> { inner.crop }
        var blstats: UnsafeBufferPointer<Int32> { inner.blstats }
        var captions: UnsafeBufferPointer<UInt8> { inner.captions }
        var captionLength: UnsafeBufferPointer<Int32> { inner.captionLength }
        var captionCount: UnsafeBufferPointer<Int32> { inner.captionCount }
        var reward: UnsafeBufferPointer<Float> { inner.reward }
        var done: UnsafeBufferPointer<UInt8> { inner.done }
        var truncated: UnsafeBufferPointer<UInt8> { inner.truncated }
        var finishedEpisodes: [FinishedEpisode] { inner.finishedEpisodes }
        func reset() throws { try inner.reset() }
        func step(actions: UnsafeBufferPointer<Int32>) throws {
            gate.pass()
            try inner.step(actions: actions)
        }
    }

    /// It goes on saying Hello until its Goodbye: it stopped saying it as the stop began, so a
    /// learner timed out a worker whose envs took longer than a peer timeout to finish its last
    /// rollout (trial G: "worker worker-local timed out" at every stop of a slow env's run).
    @Test func aStoppingWorkerSaysHelloWhileItFinishesItsRollout() async throws {
        var c = try InMemoryRoleTests.configuration()
        // One rollout's steps, then the next rollout waits at its first step until the test opens it.
        let spec = c.observationSpec, gate = Gate(steps: c.env.rolloutLength)
        let name = "gated-\(UUID().uuidString.prefix(8))"
        try EnvironmentRegistry.register(SwiftEnvironment(name: name, spec: spec) { count, seed in
            GatedEnv(try VectorEnv(task: "staircase", count: count, seed: seed, configuration: .init(spec: spec)), gate: gate)
        })
        defer { EnvironmentRegistry.remove(name) }
        try TrainingConfiguration.table.apply(overrides: ["env.kind=swift", "env.task=\(name)"], to: &c)
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
            // One trajectory read (the outbox then empty: a full one holds Hellos back); the next
            // rollout waits at the gate.
            #expect(await InMemoryRoleTests.trajectory(actedBy: 0, learner.receive), "a trajectory")
            trigger.triggerGracefulShutdown()
            #expect(await Poll.until { worker.isHandingOver || ended.isSet })
            // Two: one may have been on its way as the stop began.
            let hellos = Mutex(0)
            #expect(await InMemoryRoleTests.next(learner.receive) { message -> Bool? in
                guard case .hello = message else { return nil }
                return hellos.withLock { $0 += 1; return $0 == 2 } ? true : nil
            } == true, "Hellos while the last rollout is still under way")
            #expect(!ended.isSet)
            gate.open()
            var goodbye = false
            while !goodbye, let received = await learner.receive() {
                if case .message(.goodbye(let g)) = received, g.id == "w" { goodbye = true }
            }
            _ = await running.result
            #expect(goodbye)
        }
    }
}
