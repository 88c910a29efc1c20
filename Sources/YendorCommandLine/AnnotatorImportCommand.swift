import ArgumentParser
import Foundation
import YendorAnnotator

/// `yendor annotator import`: labels from JSON lines (another store's export, a shared dataset)
/// into a label store, so an annotator answers them without asking its labeler.
struct AnnotatorImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the labels of a JSON-lines file (as export writes it) to a label store; rows already stored are kept.",
        discussion: """
            The whole file is checked first: a bad line is reported by its number and nothing is \
            added. A label is found again only under the same backend, model, prompt version, \
            goal and caption it was made for.

            Example:
              yendor annotator import --store annotator-labels.sqlite labels.jsonl
            """)

    @OptionGroup var options: LabelFileOptions

    func run() throws {
        let store = try LabelStore(path: options.store)
        let added = try store.importJSONLines(from: URL(fileURLWithPath: options.file))
        print("imported \(added) labels into \(options.store) (\(try store.count()) in all; rows it already had are kept as they were)")
    }
}
