import ArgumentParser
import Foundation
import YendorRuntime
import ZeroMQ

/// `yendor replay`: the replay buffer as its own role between workers and the learner.
struct ReplayCommand: AsyncParsableCommand, RoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the replay buffer as its own role (workers: yendor worker --replay HOST).",
        discussion: "Example (each trajectory trained on about 4 times): yendor replay --learner 10.0.0.5 --set replay.sampler=uniform --set replay.max_times_sampled=4 --set replay.samples_per_insert=4, with the learner started with --set learner.max_policy_lag=200: a reused sample is trained on up to ~100 policy versions after it was collected, and at the default lag limit (20) most reuse is dropped as stale.")

    @OptionGroup var options: RunOptions

    @Option(help: "Learner host whose trajectory endpoint receives the samples (default: the endpoints as configured, 0.0.0.0 meaning 127.0.0.1).")
    var learner: String?

    func validate() throws {
        if learner?.isEmpty == true { throw ValidationError("--learner is empty: give a host, or leave the flag out to use the configured endpoints") }
        if let learner, let problem = TransportConfiguration.hostProblem(learner, ports: "transport.trajectories, transport.weights") {
            throw ValidationError("--learner: \(problem)")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let c = try options.resolve(defaultRunDir: "runs/replay")
            try c.transport.validateAcrossProcesses()
            let (logger, runDirectory, lock) = try options.serverRoleStart(c, learner: false)
            defer { withExtendedLifetime(lock) {} }
            let context = try Context()
            defer { context.terminate() }
            let learnerTrajectories = TransportConfiguration.endpoint(c.transport.trajectories, onHost: learner)
            // Its PUB too: the role stops when the learner says it finished.
            let learnerWeights = TransportConfiguration.endpoint(c.transport.weights, onHost: learner)
            try await ShutdownSignals.run(Topology.replay(configuration: c, learnerTrajectories: learnerTrajectories, learnerWeights: learnerWeights,
                                                          runDirectory: runDirectory, context: context, logger: logger))
        }
    }
}
