import ArgumentParser
import Foundation
import YendorAnnotator

/// `yendor annotator export`: a label store's rows as JSON lines, to read, audit or share.
struct AnnotatorExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every label of a label store as JSON lines (one object per row, docs/annotator.md).",
        discussion: """
            Safe while an annotator serves from the store (SQLite in WAL mode: the export reads \
            one consistent state), and from a store on read-only media (read from a copy in \
            $TMPDIR when SQLite cannot open it there).

            Example:
              yendor annotator export --store annotator-labels.sqlite labels.jsonl
            """)

    @OptionGroup var options: LabelFileOptions

    func run() throws {
        // Opening a missing store would make an empty one and export nothing without a word.
        guard FileManager.default.fileExists(atPath: options.store) else {
            throw ValidationError("--store \(options.store): no label store there (an annotator makes it at its first start)")
        }
        // Read-only: a store on read-only media exports too (trial Y), and nothing is migrated.
        let (rows, copied) = try LabelStore.exportJSONLines(fromStoreAt: options.store, to: URL(fileURLWithPath: options.file))
        print("exported \(rows) labels from \(options.store)\(copied ? " (read from a copy: its file system is read-only)" : "") to \(options.file)")
    }
}
