import ArgumentParser

@main
struct Yendor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yendor",
        abstract: "Distributed APPO training with intrinsic rewards from LLM feedback.",
        subcommands: [BenchCommand.self]
    )
}
