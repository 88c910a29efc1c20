import Foundation
import Logging
import ServiceLifecycle
import YendorSupport
import YendorTransport
import ZeroMQ

/// Wires the roles together, in one place. Services start in dependency order (learner before
/// workers) and the service group stops them in reverse on a graceful shutdown (the command's
/// SIGINT/SIGTERM) or when the learner reaches its budget.
public enum Topology {
    /// Every role in this process, linked by `inproc://` sockets (or, with `transport.in_process=memory`,
    /// by an `InMemoryNetwork`): the quick start. Its learner also answers `status`/`health --run-dir`
    /// at the run directory's status socket (`WatchedLearnerLink`). With
    /// `reward.annotator` set, the annotator is the remote one, reached at its configured endpoints.
    /// `stop` (the command's signal flag) ends the learner's update in progress (`LearnerService`).
    public static func inProcess(configuration: TrainingConfiguration, runDirectory: RunDirectory,
                                 context: Context, logger: Logger, stop: StopFlag = StopFlag()) -> (ServiceGroup, LearnerService) {
        // First: the endpoint bootstraps the metrics backend that the roles' metrics are made in.
        let endpoints = metricsEndpoints(configuration, logger: logger)
        var c = configuration
        // The settings stay (queue capacity, message limit, heartbeats, eviction); the endpoints
        // become in-process ones. Before, every transport setting was reset to its default here.
        c.transport = configuration.transport.linkedInProcess(run: "yendor-\(getpid())")
        let defaults = TransportConfiguration()
        if configuration.transport.trajectories != defaults.trajectories || configuration.transport.weights != defaults.weights {
            // Said, not silently dropped: a user who set them expects something to listen there.
            logger.notice("in one process the learner and its worker are linked in process: transport.trajectories and transport.weights are not bound (yendor status/health --run-dir \(runDirectory.root.path) watch the run; run.prometheus_port serves the metrics)")
        }
        // Only the learner–worker sockets are in this process: a remote annotator is reached at its
        // configured endpoints, with the configured CURVE keys.
        let learnerLogger = logger.with(role: "learner"), worker: WorkerService
        let link: @Sendable () async throws -> any LearnerLink
        switch configuration.inProcessLink {
        case .memory:
            // As many trajectories in flight as the socket path holds (the worker's outbox, libzmq's
            // send and receive high-water marks, the learner's inbox: `queue_capacity` each), so
            // rollouts overlap the learner's updates as much as they do across processes.
            let network = InMemoryNetwork(capacity: 4 * c.transport.queueCapacity)
            link = { network.learnerLink() }
            worker = WorkerService(configuration: c, workerID: "worker-local", context: context, logger: logger.with(role: "worker"),
                                   connect: { network.workerLink() })
        case .zeromq:
            link = { [transport = c.transport] in try await ZeroMQLearnerLink.bind(transport, context: context, logger: learnerLogger) }
            worker = WorkerService(configuration: c, workerID: "worker-local", trajectories: c.transport.trajectories,
                                   weights: c.transport.weights, context: context, logger: logger.with(role: "worker"))
        }
        // Either way the learner is watched through the run directory's status socket.
        let learner = LearnerService(configuration: c, context: context, runDirectory: runDirectory, logger: learnerLogger,
                                     annotatorTransport: configuration.transport, stop: stop, link: {
            await WatchedLearnerLink.wrapping(try await link(), runDirectory: runDirectory, context: context, logger: learnerLogger)
        })
        return (group(services: [learner], then: endpoints + [worker], logger: logger), learner)
    }

    /// The Prometheus endpoint when `run.prometheus_port` is set (the learner's or a worker's, whichever
    /// process this is). Made before the roles: it bootstraps the process's metrics backend, and a
    /// role's metrics reach it only if made after.
    static func metricsEndpoints(_ c: TrainingConfiguration, logger: Logger) -> [any Service] {
        c.run.prometheusPort > 0 ? [PrometheusEndpoint(port: c.run.prometheusPort, host: c.run.prometheusHost, logger: logger.with(role: "metrics"))] : []
    }

    /// The learner, bound to the configured endpoints, and `stoppedFirst`'s services (the worker
    /// processes `train` starts), which the group stops before the learner.
    public static func learner(configuration: TrainingConfiguration, runDirectory: RunDirectory, context: Context,
                               logger: Logger, stop: StopFlag = StopFlag(),
                               stoppedFirst: (LearnerService) -> [any Service] = { _ in [] }) -> (ServiceGroup, LearnerService) {
        let endpoints = metricsEndpoints(configuration, logger: logger)
        let learner = LearnerService(configuration: configuration, context: context, runDirectory: runDirectory,
                                     logger: logger.with(role: "learner"), stop: stop)
        return (group(services: [learner], then: endpoints + stoppedFirst(learner), logger: logger), learner)
    }

    /// One worker process connected to a learner on `learnerHost` (nil: where the endpoints say,
    /// 0.0.0.0 meaning this host), and, when `replayHost` is given, sending its trajectories to a
    /// standalone replay role there instead.
    /// `parentLearner`: the pid of the parent process when it runs the learner (`train --workers N`).
    public static func worker(configuration: TrainingConfiguration, workerID: String, learnerHost: String?,
                              replayHost: String? = nil, parentLearner: Int32? = nil, context: Context, logger: Logger) -> ServiceGroup {
        let endpoints = metricsEndpoints(configuration, logger: logger)
        let t = configuration.transport
        let trajectories = replayHost.map { TransportConfiguration.endpoint(t.replay, onHost: $0) }
            ?? TransportConfiguration.endpoint(t.trajectories, onHost: learnerHost)
        let worker = WorkerService(configuration: configuration, workerID: workerID, trajectories: trajectories, toReplay: replayHost != nil,
                                   weights: TransportConfiguration.endpoint(t.weights, onHost: learnerHost), parentLearner: parentLearner,
                                   context: context, logger: logger.with(role: "worker"))
        return group(services: [worker], then: endpoints, logger: logger)
    }

    /// The standalone replay role (`yendor replay`), sampling to the learner at `learnerTrajectories`.
    public static func replay(configuration: TrainingConfiguration, learnerTrajectories: String, learnerWeights: String? = nil,
                              runDirectory: RunDirectory, context: Context, logger: Logger) -> ServiceGroup {
        let endpoints = metricsEndpoints(configuration, logger: logger)
        let replay = ReplayService(configuration: configuration, learnerTrajectories: learnerTrajectories,
                                   learnerWeights: learnerWeights, context: context,
                                   runDirectory: runDirectory, logger: logger.with(role: "replay"))
        return group(services: [replay], then: endpoints, logger: logger)
    }

    /// `leaders` end the group when they return (the learner at its budget); `followers` are
    /// stopped then, in reverse order.
    static func group(services leaders: [any Service], then followers: [any Service], logger: Logger) -> ServiceGroup {
        let configs = leaders.map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                                                           failureTerminationBehavior: .gracefullyShutdownGroup)
        } + followers.map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .ignore,
                                                           failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        // No signals of its own: the command's `ShutdownSignals` own SIGINT/SIGTERM from its start.
        var configuration = ServiceGroupConfiguration(services: configs, logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        return ServiceGroup(configuration: configuration)
    }
}

extension Logger {
    /// A copy tagged with the role, so interleaved logs stay readable.
    public func with(role: String) -> Logger {
        var copy = self
        copy[metadataKey: "role"] = "\(role)"
        return copy
    }
}
