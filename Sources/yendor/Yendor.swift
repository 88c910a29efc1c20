import ArgumentParser

@main
struct Yendor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yendor",
        abstract: "Distributed APPO training with intrinsic rewards from LLM feedback.",
        discussion: """
            Quick start: `yendor train` runs every role in one process with built-in defaults.
            Per node: `yendor learner`, `yendor worker`, `yendor annotator` run one role each.
            """,
        subcommands: [
            TrainCommand.self,
            LearnerCommand.self,
            WorkerCommand.self,
            AnnotatorCommand.self,
            ConfigCommand.self,
            PlayCommand.self,
            BenchCommand.self,
            KeysCommand.self,
            PeerCommand.self,
        ]
    )
}
