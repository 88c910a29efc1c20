import ArgumentParser
import YendorRuntime

/// `yendor config`: prints every configuration key with its resolved value and meaning, as YAML.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the resolved configuration (every key, as YAML).")

    @OptionGroup var options: RunOptions

    func run() async throws {
        try await reportingErrors {
            // With a run directory that holds a run: what a learner resuming it would train with
            // (a run on env servers shows the ones it stepped: a resume starts or is given its own).
            let saved = try options.savedConfiguration(defaultRunDir: "runs/default", keepingEnvServers: true)
            let c = try options.resolve(defaultRunDir: "runs/default", base: saved?.base)
            print(TrainingConfiguration.table.yaml(c), terminator: "")
        }
    }
}
