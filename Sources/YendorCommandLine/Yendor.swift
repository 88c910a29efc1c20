import ArgumentParser
import Foundation
import YendorSupport
import YendorVersion
import YendorWire
#if canImport(Glibc)
import Glibc
#endif

/// The `yendor` command line: the one root command every subcommand hangs off. The `yendor`
/// executable runs it; so does a Swift program that registers environments of its own first
/// (`EnvironmentRegistry`, docs/environments.md).
public struct Yendor: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        // The program's own name in usage lines and help: `yendor`, or the program that registered
        // Swift environments and runs this command line.
        commandName: Executable.name,
        abstract: "Distributed APPO training with intrinsic rewards from LLM feedback.",
        discussion: """
            Quick start: `yendor train` runs every role in one process with built-in defaults.
            Per node: `yendor learner`, `yendor worker`, `yendor annotator` run one role each.
            """,
        version: Yendor.version,
        subcommands: [
            TrainCommand.self,
            LearnerCommand.self,
            WorkerCommand.self,
            ReplayCommand.self,
            EvaluateCommand.self,
            AnnotatorCommand.self,
            ConfigCommand.self,
            PlayCommand.self,
            BenchCommand.self,
            KeysCommand.self,
            PeerCommand.self,
            HealthCommand.self,
            StatusCommand.self,
        ]
    )

    public init() {}

    /// What `--version` prints, and what each role logs as it starts: "yendor 0.1.0 (commit …), wire protocol 1".
    static let version = "yendor \(YendorVersion.description), wire protocol \(Envelope.version)"

    /// Parses and runs the subcommand after making sure shutdown signals can reach us: a parent may
    /// have started us with them blocked (Foundation's `Process` on Linux does) or ignored, and every
    /// role must stop gracefully on SIGINT/SIGTERM however it was launched.
    /// (Not named `main`: called from another module, `Yendor.main()` resolves to ArgumentParser's
    /// synchronous one, which refuses an async root command.)
    public static func runCommandLine() async {
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        // Nor ignored: a shell starts `yendor … &` with SIGINT ignored, and a signal that came before
        // a role's service group took the signals over (~50 ms) was lost, as was every one sent to
        // a command without a service group (bench, play).
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        // Trajectories and weights are MiB-sized buffers made and freed at a high rate. glibc would
        // mmap/munmap each one and pay a page fault per 4 KiB every time; keeping them on the heap
        // (our queues are bounded, so the heap is too) doubled large-message throughput.
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 256 << 20)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 512 << 20)
        OpenFileLimit.raise()
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        if command is any RoleCommand { ShutdownSignals.install() }
        do {
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // The subcommand's usage under its error, not the root's "yendor <subcommand>".
            let usage = usageString(for: type(of: command))
            let path = usage.prefix { $0 != "<" && $0 != "[" }.trimmingCharacters(in: .whitespaces)
            let text = "Error: \(error.message)\nUsage: \(usage)\n  See '\(path) --help' for more information.\n"
            _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }
}

/// glibc's `mallopt` (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
