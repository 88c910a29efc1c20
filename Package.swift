// swift-tools-version:6.0
import PackageDescription

// Package products several targets use, named once.
let coreMetrics: Target.Dependency = .product(name: "CoreMetrics", package: "swift-metrics")
let deque: Target.Dependency = .product(name: "DequeModule", package: "swift-collections")
let histogram: Target.Dependency = .product(name: "Histogram", package: "hdrhistogram-swift")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

// Module map (see README.md): C shims -> transport/wire -> algorithms -> roles -> executable.
let package = Package(
    name: "Yendor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "yendor", targets: ["yendor"]),
        // For a Swift program that adds environments of its own: the command line to run and the
        // environment protocol, spec and registry to implement (docs/environments.md).
        .library(name: "YendorKit", targets: ["YendorCommandLine", "YendorEnvironment"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // System libraries, found on the default include paths (installed by `make deps`).
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),

        // Transport and wire format.
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ", "YendorSupport"]),
        .target(name: "CCRC32C"),
        .target(name: "YendorWire", dependencies: ["CCRC32C"]),

        // How roles talk, as protocols (`LearnerLink`, `WorkerLink`), and the in-process network that
        // implements them with bounded queues; the ZeroMQ implementations live with the roles.
        .target(name: "YendorTransport", dependencies: ["YendorWire", "YendorSupport"]),

        // What every layer shares: the one seeded RNG (SplitMix64), the one stable hash (FNV-1a), the one
        // quantile routine (Quantile), the bounded async queue (AsyncBoundedQueue) between threads and tasks,
        // and the insertion-ordered bounded set (BoundedOrderedSet, on swift-collections' Deque).
        .target(name: "YendorSupport", dependencies: [deque]),
        // Which Yendor this is: the release and the commit built (stamped by BuildVersionPlugin).
        .target(name: "YendorVersion", plugins: ["BuildVersionPlugin"]),
        .plugin(name: "BuildVersionPlugin", capability: .buildTool(), path: "Sources/BuildVersionPlugin"),

        // Environments: the one observation spec and vector-environment protocol, Dungeon, and
        // real NetHack hosted from NLE's library (CNetHack declares its C ABI).
        .target(name: "YendorEnvironment", dependencies: ["YendorSupport"]),
        .target(name: "Dungeon", dependencies: ["YendorEnvironment", "YendorSupport"]),
        .target(name: "CNetHack"),
        .target(name: "NetHack", dependencies: ["CNetHack", "YendorEnvironment", "YendorSupport"]),
        // Environments hosted by environment servers (Gymnasium envs over ZeroMQ, python/).
        .target(name: "RemoteEnvironment", dependencies: [
            "YendorEnvironment", "YendorWire", "ZeroMQ", "YendorSupport", logging,
        ]),

        // A role's metrics: the swift-metrics backend its components record into, read by the
        // metrics file, TensorBoard and status, forwarding to the process backend (Prometheus).
        .target(name: "YendorMetrics", dependencies: [coreMetrics, histogram]),

        // Algorithms: pure code, unit-testable with numbers.
        .target(name: "YendorNN", dependencies: ["CBLAS", "YendorSupport"]),
        // The policy: the network with its spec-derived encoders and the observation batch it reads;
        // used by rollouts (inference), the learner (training) and nothing of either.
        .target(name: "YendorPolicy", dependencies: ["YendorEnvironment", "YendorNN", "YendorSupport"]),
        .target(name: "YendorLearner", dependencies: [
            "YendorEnvironment", "YendorNN", "YendorPolicy", "YendorWire", "YendorSupport", logging,
        ]),
        .target(name: "YendorReplay", dependencies: ["YendorWire", "YendorSupport"]),
        // The annotator's core: the queue, labelers (lexicon, OpenAI), the label store; no sockets.
        .target(name: "YendorAnnotator", dependencies: [
            "YendorEnvironment", "YendorWire", "YendorMetrics", "YendorSupport",
            coreMetrics, logging, histogram, deque, .product(name: "OrderedCollections", package: "swift-collections"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The annotator as a role over ZeroMQ (`yendor annotator`), and the client a learner uses.
        .target(name: "YendorAnnotatorRole", dependencies: [
            "YendorAnnotator", "YendorWire", "ZeroMQ", "YendorMetrics", "YendorSupport", "YendorVersion",
            coreMetrics, logging, serviceLifecycle,
        ]),
        // ONI's intrinsic reward models (retrieval, classification, ranking), pure and testable.
        .target(name: "YendorRewards", dependencies: ["YendorEnvironment", "YendorNN", "YendorPolicy", "YendorLearner", "YendorWire", "YendorSupport"]),
        .target(name: "YendorRollout", dependencies: [
            "YendorEnvironment", "Dungeon", "NetHack", "RemoteEnvironment", "YendorNN", "YendorPolicy", "YendorWire", "ZeroMQ", "YendorSupport", logging,
        ]),

        // Roles as services, configuration, run directory, metrics.
        .target(name: "YendorRuntime", dependencies: [
            "CCRC32C", "ZeroMQ", "YendorWire", "YendorEnvironment", "Dungeon", "NetHack", "RemoteEnvironment", "YendorNN", "YendorPolicy", "YendorLearner",
            "YendorReplay", "YendorRollout", "YendorAnnotator", "YendorAnnotatorRole", "YendorRewards", "YendorTransport", "YendorMetrics", "YendorSupport",
            "YendorVersion", logging, serviceLifecycle,
            .product(name: "Yams", package: "Yams"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The command line (`Yendor`, its subcommands and options), a library so that a Swift program
        // can register environments of its own and run it (Examples/Corridor).
        .target(name: "YendorCommandLine", dependencies: [
            "YendorRuntime", "YendorMetrics", "YendorSupport", "ZeroMQ", "YendorWire", "YendorEnvironment", "Dungeon", "NetHack", "RemoteEnvironment", "YendorNN", "YendorPolicy", "YendorLearner",
            "YendorAnnotator", "YendorAnnotatorRole", "YendorRewards", "YendorRollout", "YendorVersion",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), logging, serviceLifecycle,
        ]),
        .executableTarget(name: "yendor", dependencies: ["YendorCommandLine"]),
        // A third environment written in Swift, registered and trained with `yendor`'s commands.
        .executableTarget(name: "yendor-corridor", dependencies: ["YendorCommandLine", "YendorEnvironment"], path: "Examples/Corridor"),

        // Spawning `yendor` processes from tests (a peer over real sockets).
        .target(name: "YendorTestSupport", dependencies: [logging, "YendorSupport"], path: "Tests/Support", exclude: ["tiny.yaml"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "YendorWire", "YendorSupport", "YendorTestSupport"]),
        .testTarget(name: "YendorSupportTests", dependencies: ["YendorSupport"]),
        .testTarget(name: "YendorWireTests", dependencies: ["YendorWire", "YendorSupport"]),
        .testTarget(name: "YendorMetricsTests", dependencies: ["YendorMetrics", coreMetrics, .product(name: "MetricsTestKit", package: "swift-metrics")]),
        .testTarget(name: "DungeonTests", dependencies: ["Dungeon", "YendorEnvironment"]),
        .testTarget(name: "NetHackTests", dependencies: ["NetHack", "YendorEnvironment", "YendorSupport", "YendorTestSupport"]),
        .testTarget(name: "RemoteEnvironmentTests", dependencies: ["RemoteEnvironment", "YendorEnvironment", "YendorWire", "ZeroMQ", "YendorSupport", "YendorTestSupport"]),
        .testTarget(name: "YendorNNTests", dependencies: ["YendorNN", "YendorSupport", "YendorTestSupport"]),
        .testTarget(name: "YendorLearnerTests", dependencies: ["YendorPolicy", "YendorEnvironment", "YendorLearner", "YendorNN", "YendorWire", "Dungeon", "YendorSupport", "YendorTestSupport"]),
        .testTarget(name: "YendorAnnotatorTests", dependencies: ["YendorAnnotator", "YendorAnnotatorRole", "YendorWire", "ZeroMQ", "YendorTestSupport", "YendorMetrics"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "YendorRolloutTests", dependencies: ["YendorPolicy", "YendorEnvironment", "YendorRollout", "YendorLearner", "YendorNN", "YendorWire", "Dungeon", "YendorSupport"]),
        .testTarget(name: "YendorRewardsTests", dependencies: ["YendorPolicy", "YendorEnvironment", "YendorRewards", "YendorNN", "YendorLearner", "YendorWire", "YendorSupport"]),
        .testTarget(name: "YendorReplayTests", dependencies: ["YendorReplay", "YendorWire", "YendorTestSupport"]),
        .testTarget(name: "YendorRuntimeTests", dependencies: ["YendorPolicy", "YendorEnvironment", "Dungeon", "NetHack", "YendorRuntime", "YendorAnnotator", "YendorAnnotatorRole", "YendorMetrics",
                                                          "YendorRewards", "YendorReplay", "ZeroMQ", "YendorWire", "YendorTestSupport",
                                                          "YendorVersion", logging,
                                                          .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle")]),
        .testTarget(name: "ClusterTests", dependencies: ["YendorTestSupport", "YendorRuntime"]),
        .testTarget(name: "ExamplesTests", dependencies: ["yendor-corridor", "YendorEnvironment", "YendorRuntime", "YendorTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
