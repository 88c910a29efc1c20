import ArgumentParser

/// `yendor bench …`: benchmarks print their figures next to the comparison they make, measured in the
/// same run. Results are recorded in docs/benchmarks.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput; each benchmark prints its comparison as a ratio.",
        subcommands: [
            BenchTransportCommand.self,
            BenchEnvCommand.self,
            BenchLearnerCommand.self,
            BenchTrainCommand.self,
            BenchAnnotatorCommand.self,
        ]
    )
}
