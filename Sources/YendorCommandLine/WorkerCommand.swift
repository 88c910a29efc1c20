import ArgumentParser
import Foundation
import Logging
import YendorRuntime
import YendorWire
import ZeroMQ

/// `yendor worker`: rollout actors connected to a learner. Start as many as you like, on any node.
struct WorkerCommand: AsyncParsableCommand, RoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run rollout workers connected to a learner.",
        discussion: "Example: yendor worker --learner 10.0.0.5 --envs 64 --actors 2")

    @OptionGroup var options: RunOptions

    @Option(help: "Learner host: the configured tcp:// endpoints' ports on this host (default: the endpoints as configured, 0.0.0.0 meaning 127.0.0.1); ignored for ipc:// and inproc:// endpoints.")
    var learner: String?

    @Option(help: "Send trajectories to a standalone replay role on this host instead of the learner.")
    var replay: String?

    @Option(help: "Worker id: 1-\(PeerID.maxLength) characters from A-Z a-z 0-9 . _ - : @ (default: worker-HOSTNAME-PID-RANDOM, new at every start).")
    var id: String?

    @Option(name: .customLong("parent-pid"), help: .hidden)
    var parentPID: Int32?

    func validate() throws {
        for (flag, host, ports) in [("--learner", learner, "transport.trajectories, transport.weights"), ("--replay", replay, "transport.replay")] {
            guard let host else { continue }
            // Given empty, it connected to tcp://:PORT and retried for ever.
            if host.isEmpty { throw ValidationError("\(flag) is empty: give a host, or leave the flag out to use the configured endpoints (\(ports))") }
            if let problem = TransportConfiguration.hostProblem(host, ports: ports) { throw ValidationError("\(flag): \(problem)") }
        }
    }

    func run() async throws {
        try await reportingErrors {
            let c = try options.resolve(defaultRunDir: "runs/worker", waitingForEnvServers: true)
            try c.transport.validateAcrossProcesses()
            try PrometheusEndpoint.checkAvailable(port: c.run.prometheusPort, host: c.run.prometheusHost)
            let logger = options.makeLogger(label: "yendor")
            let watch = parentPID.map { ShutdownSignals.stopWhenGone(parent: $0, starter: "the yendor train that started this worker", logger: logger) }
            defer { watch?.cancel() }
            let workerID = id ?? PeerID.defaultWorkerID(host: ProcessInfo.processInfo.hostName, pid: getpid())
            guard PeerID.isValid(workerID) else {
                throw ValidationError("--id \(PeerID.loggable(workerID)): a worker id is 1-\(PeerID.maxLength) characters from A-Z a-z 0-9 . _ - : @")
            }
            logger.info("\(Yendor.version)")
            // Options of the shared group that are the learner's: taken silently, they read as set (trial T).
            let learners = [("--run-dir", options.runDir != nil), ("--steps", options.steps != nil), ("--reward", options.reward != nil)]
                .filter(\.1).map(\.0)
            if !learners.isEmpty {
                logger.warning("ignoring \(learners.joined(separator: ", ")): the learner's, not a worker's (a worker has no run directory, budget or reward model)")
            }
            let context = try Context()
            defer { context.terminate() }
            let group = Topology.worker(configuration: c, workerID: workerID, learnerHost: learner, replayHost: replay,
                                        parentLearner: parentPID, context: context, logger: logger)
            try await ShutdownSignals.run(group)
        }
    }
}
