import ArgumentParser
import Foundation
import Logging
import YendorAnnotator
import YendorSupport

/// `yendor annotator evaluate`: precision and recall of a labeler against hand labels.
struct AnnotatorEvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a labeler's precision and recall per goal on hand-labeled captions.",
        discussion: """
            Classifies every caption of the evaluation set for every goal with the chosen labeler \
            and compares its verdicts with the hand labels. Prints, per goal, TP/FP/FN/TN with \
            precision and recall, per distinct caption and weighted by each caption's count in \
            play; items the labeler left without a label are counted apart (unanswered).

            The set (default data/annotator-eval.tsv: real NetHack messages from NLE play, \
            labeled by the rules in docs/annotator.md) is a TSV: count, one 1/0 column per goal, \
            caption.

            Examples:
              yendor annotator evaluate                                   (the lexicon, a stand-in for an LLM)
              yendor annotator evaluate --backend openai --llm-url http://127.0.0.1:8000/v1 --model llama-3-8b
              yendor annotator evaluate --backend openai --llm-url ... --model ... --prompt-set oni
              yendor annotator evaluate --goals score,gold --json
            """)

    @Option(name: .customLong("set"), help: "Evaluation set (TSV: count, one 1/0 column per goal, caption); a relative path not found here is looked for in the repository, as the default, data/annotator-eval.tsv, is.")
    var set: String?

    @Option(help: "Comma-separated goals to evaluate (default: every goal column of the set).")
    var goals: String?

    @OptionGroup var labeler: LabelerOptions

    @Option(name: .customLong("batch-size"), help: "Captions per labeler call.")
    var batchSize: Int = 64

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    @Option(name: .customLong("show-disagreements"), help: "After the table, list up to this many disagreeing captions per goal, most frequent first.")
    var showDisagreements: Int = 0

    @Option(name: .customLong("log-level"), help: .logLevel)
    var logLevel: Logger.Level = .warning

    static let builtInSet = "data/annotator-eval.tsv"

    /// The file `--set` names: a relative path not found here is looked for where the built-in set
    /// is (the repository's data/annotator-eval-heldout.tsv, say, from any working directory).
    static func evaluationFile(_ given: String) -> URL {
        let url = URL(fileURLWithPath: given)
        if given.hasPrefix("/") || FileManager.default.fileExists(atPath: url.path) { return url }
        return RepositoryFile.find(given) ?? url
    }

    func run() async throws {
        var logger = LoggingBootstrap.logger(label: "yendor", level: logLevel)
        guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...4096, got \(batchSize)") }
        guard showDisagreements >= 0 else { throw ValidationError("--show-disagreements must be >= 0, got \(showDisagreements)") }
        logger[metadataKey: "role"] = "evaluate"

        let evaluationSet: EvaluationSet
        // The built-in set is found from any working directory, as scripts/ and .venv are.
        guard let file = set.map(Self.evaluationFile) ?? RepositoryFile.find(Self.builtInSet) else {
            let looked = RepositoryFile.roots.map(\.path).joined(separator: ", ")
            throw ValidationError("the built-in evaluation set \(Self.builtInSet) is not under any of \(looked): run from the repository, set YENDOR_HOME to it, or give --set FILE")
        }
        do { evaluationSet = try EvaluationSet.load(from: file) } catch {
            throw ValidationError("--set: \(error)")
        }
        var chosen: [Goal]?
        if let goals {
            do { chosen = try goals.split(separator: ",").map { try Goal(key: String($0).trimmingCharacters(in: .whitespaces)) } } catch {
                throw ValidationError("--goals: \(error)")
            }
        }
        let labelerInstance: any Labeler
        do { labelerInstance = try labeler.makeBackend().makeLabeler(logger: logger) } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let report: LabelerEvaluation.Report
        do { report = try await LabelerEvaluation.run(labelerInstance, on: evaluationSet, goals: chosen, batchSize: batchSize) } catch {
            throw ValidationError("\(error)")
        }
        if json {
            AnnotatorServeCommand.say(String(decoding: report.json(), as: UTF8.self))
        } else {
            AnnotatorServeCommand.say(report.table)
            if showDisagreements > 0 { AnnotatorServeCommand.say("\n" + report.disagreements(limit: showDisagreements)) }
        }
        // A labeler that was stopped answered nothing worth a score: a script must not read it as a result.
        if report.stopped != nil { throw ExitCode(2) }
    }
}
