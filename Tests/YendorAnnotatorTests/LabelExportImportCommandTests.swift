import Foundation
import Testing
import YendorTestSupport
@testable import YendorAnnotator

/// `yendor annotator export` and `import`: a store's labels out as JSON lines and into another
/// store, by real processes on real SQLite files (the format is LabelStoreTests').
@Suite struct LabelExportImportCommandTests {
    let identity = LabelerIdentity(backend: "openai", model: "m", promptVersion: "p1")

    @Test func aStoreExportedAndImportedElsewhereAnswersTheSameKeysAndABadFileAddsNothing() async throws {
        let (source, directory) = try temporaryStore()
        let labels = [
            StoredLabel(key: LabelKey(labeler: identity, request: .classify("You kill the newt!", goal: .combat)),
                        outcome: .labeled(.helpful), rawResponse: "Answer: helpful", attempts: 1, latency: .milliseconds(250)),
            StoredLabel(key: LabelKey(labeler: identity, request: .rank("a", "b", goal: .gold)),
                        outcome: .labeled(.second), rawResponse: "Answer: B", attempts: 2, latency: .milliseconds(10)),
        ]
        try source.save(labels)
        let file = directory.appendingPathComponent("labels.jsonl")
        let export = try ChildProcess(yendor: ["annotator", "export", "--store", directory.appendingPathComponent("labels.sqlite").path, file.path])
        #expect(await export.waitForExit(timeout: 600) == 0, "\(export.standardError)")
        #expect(export.lines.last?.hasPrefix("exported 2 labels") == true, "\(export.lines)")
        #expect(try String(contentsOf: file, encoding: .utf8).split(separator: "\n").count == 2)

        let target = directory.appendingPathComponent("other.sqlite").path
        for added in [2, 0] {  // the second time every row is stored already
            let load = try ChildProcess(yendor: ["annotator", "import", "--store", target, file.path])
            #expect(await load.waitForExit(timeout: 600) == 0, "\(load.standardError)")
            #expect(load.lines.last?.hasPrefix("imported \(added) labels into \(target) (2 in all") == true, "\(load.lines)")
        }
        let found = try LabelStore(path: target).lookup(labels.map(\.key))
        #expect(found.mapValues(\.outcome) == Dictionary(uniqueKeysWithValues: labels.map { ($0.key, $0.outcome) }))

        try (String(contentsOf: file, encoding: .utf8) + "not json\n").write(to: file, atomically: true, encoding: .utf8)
        let fresh = directory.appendingPathComponent("fresh.sqlite").path
        let bad = try ChildProcess(yendor: ["annotator", "import", "--store", fresh, file.path])
        #expect(await bad.waitForExit(timeout: 600) != 0)
        #expect(bad.standardError.contains("labels.jsonl line 3"), "\(bad.standardError)")
        #expect(try LabelStore(path: fresh).count() == 0)

        let missing = try ChildProcess(yendor: ["annotator", "export", "--store", directory.appendingPathComponent("none.sqlite").path, file.path])
        #expect(await missing.waitForExit(timeout: 600) != 0)
        #expect(missing.standardError.contains("no label store there"), "\(missing.standardError)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("none.sqlite").path), "export made no store")
    }

    /// A store on read-only media exports every label: opening it as the annotator does failed
    /// there (SQLite makes the write-ahead log's index beside a WAL-mode store, trial Y).
    @Test(.enabled(if: SmallDisk.available, "needs root (a tmpfs)"))
    func aStoreOnAReadOnlyFileSystemExportsEveryLabel() async throws {
        let disk = try SmallDisk(size: "4m")
        defer { disk.unmount() }
        let path = disk.url.appendingPathComponent("labels.sqlite").path
        let labels = ["You kill the newt!", "You find a hidden door.", "The door opens."].map {
            StoredLabel(key: LabelKey(labeler: identity, request: .classify($0, goal: .combat)),
                        outcome: .labeled(.helpful), rawResponse: "Answer: helpful", attempts: 1, latency: .milliseconds(5))
        }
        do { try LabelStore(path: path).save(labels) }  // closed again: nothing open for writing at the remount
        try disk.remountReadOnly()
        let file = Scratch.root.appendingPathComponent("readonly-export-\(UUID().uuidString.prefix(8)).jsonl")
        let export = try ChildProcess(yendor: ["annotator", "export", "--store", path, file.path])
        #expect(await export.waitForExit(timeout: 600) == 0, "\(export.standardError)")
        #expect(export.lines.last?.hasPrefix("exported 3 labels") == true, "\(export.lines)")
        #expect(try String(contentsOf: file, encoding: .utf8).split(separator: "\n").count == 3)
    }
}
