import ArgumentParser
import Foundation
import YendorRuntime
import ZeroMQ

/// `yendor worker`: rollout actors connected to a learner. Start as many as you like, on any node.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run rollout workers connected to a learner.",
        discussion: "Example: yendor worker --learner 10.0.0.5 --envs 64 --actors 2")

    @OptionGroup var options: RunOptions

    @Option(help: "Learner host (its configured ports are used); ignored for ipc:// and inproc:// endpoints.")
    var learner: String = "127.0.0.1"

    @Option(help: "Send trajectories to a standalone replay role on this host instead of the learner.")
    var replay: String?

    @Option(help: "Worker id (default: worker-HOSTNAME-PID).")
    var id: String?

    func run() async throws {
        try await reportingErrors {
            let c = try options.resolve(defaultRunDir: "runs/worker")
            let logger = try options.makeLogger(label: "yendor")
            let workerID = id ?? "worker-\(ProcessInfo.processInfo.hostName)-\(getpid())"
            let context = try Context()
            defer { context.terminate() }
            let group = Topology.worker(configuration: c, workerID: workerID, learnerHost: learner, replayHost: replay, context: context, logger: logger)
            try await group.run()
        }
    }
}
