import ArgumentParser
import Foundation
import YendorRuntime
import ZeroMQ

/// `yendor learner`: the learner role, binding the trajectory and weight endpoints.
struct LearnerCommand: AsyncParsableCommand, RoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "learner",
        abstract: "Run the learner: receives trajectories, trains, publishes weights.",
        discussion: "Example: yendor learner --run-dir runs/exp1 --task keyroom (workers: yendor worker --learner HOST)")

    @OptionGroup var options: RunOptions

    func run() async throws {
        try await reportingErrors {
            let saved = try options.savedConfiguration(defaultRunDir: "runs/learner")
            let c = try options.resolve(defaultRunDir: "runs/learner", base: saved?.base, waitingForEnvServers: true)
            try c.transport.validateAcrossProcesses()
            let (logger, runDirectory, lock) = try options.serverRoleStart(c)
            if let saved { logger.notice("\(saved.summary(resolved: c))") }
            defer { withExtendedLifetime(lock) {} }
            let context = try Context()
            defer { context.terminate() }
            let (group, _) = Topology.learner(configuration: c, runDirectory: runDirectory, context: context, logger: logger,
                                              stop: ShutdownSignals.flag)
            try await ShutdownSignals.run(group)
        }
    }
}
