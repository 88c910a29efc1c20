import ArgumentParser
import YendorRuntime

/// `yendor config`: prints every configuration key with its resolved value and meaning, as YAML.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the resolved configuration (every key, as YAML).")

    @OptionGroup var options: RunOptions

    func run() async throws {
        try await reportingErrors {
            let c = try options.resolve(defaultRunDir: "runs/default")
            print(TrainingConfiguration.table.yaml(c), terminator: "")
        }
    }
}
