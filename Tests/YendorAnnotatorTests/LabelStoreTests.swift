import Foundation
import Testing
@testable import YendorAnnotator

@Suite struct LabelStoreTests {
    let identity = LabelerIdentity(backend: "openai", model: "m", promptVersion: "p1")

    func sample() -> [StoredLabel] {
        [
            StoredLabel(key: LabelKey(labeler: identity, request: .classify("You kill the newt!", goal: .combat)),
                        outcome: .labeled(.helpful), rawResponse: "Answer: helpful", attempts: 1, latency: .milliseconds(250)),
            StoredLabel(key: LabelKey(labeler: identity, request: .rank("a", "b", goal: .custom("x y"))),
                        outcome: .labeled(.second), rawResponse: "Answer: B", attempts: 2, latency: .milliseconds(10)),
            StoredLabel(key: LabelKey(labeler: identity, request: .classify("???", goal: .gold)),
                        outcome: .failed(.unlabelable), rawResponse: "dunno", attempts: 3, latency: .zero),
        ]
    }

    /// Two annotators on one store (two runs side by side): a write that met the other's failed
    /// with SQLITE_BUSY and its batch was published but never stored; now it waits its turn.
    @Test func twoStoresOnOneFileWritingAtOnceKeepEveryLabel() async throws {
        let (first, _) = try temporaryStore()
        let second = try LabelStore(path: first.path)
        func batch(_ writer: Int, _ k: Int) -> [StoredLabel] {
            (0..<20).map { i in
                StoredLabel(key: LabelKey(labeler: identity, request: .classify("caption \(writer)-\(k)-\(i)", goal: .gold)),
                            outcome: .labeled(.helpful), rawResponse: "Answer: helpful", attempts: 1, latency: .zero)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, store) in [first, second].enumerated() {
                group.addTask { for k in 0..<100 { try store.save(batch(writer, k)) } }
            }
            try await group.waitForAll()
        }
        #expect(try first.count() == 2 * 100 * 20)
    }

    @Test func storeRunsInWALModeAndSyncsEveryTransaction() throws {
        let (store, _) = try temporaryStore()
        #expect(try store.journalMode() == "wal")
        #expect(try store.synchronousMode() == 2, "FULL: a label written survives a power cut")
    }

    @Test func savedLabelsAreFoundAfterReopening() throws {
        let (store, _) = try temporaryStore()
        try store.save(sample())
        let reopened = try LabelStore(path: store.path)
        let keys = sample().map(\.key)
        let found = try reopened.lookup(keys)
        #expect(found.count == 3)
        for stored in sample() {
            #expect(found[stored.key]?.outcome == stored.outcome)
            #expect(found[stored.key]?.rawResponse == stored.rawResponse)
            #expect(found[stored.key]?.attempts == stored.attempts)
            #expect(found[stored.key]?.latency == stored.latency)
        }
    }

    @Test func keysDifferingInModelPromptVersionOrPairOrderAreDistinct() throws {
        let (store, _) = try temporaryStore()
        try store.save(sample())
        let request = LabelRequest.classify("You kill the newt!", goal: .combat)
        let otherModel = LabelKey(labeler: LabelerIdentity(backend: "openai", model: "m2", promptVersion: "p1"), request: request)
        let otherPrompt = LabelKey(labeler: LabelerIdentity(backend: "openai", model: "m", promptVersion: "p2"), request: request)
        let swappedPair = LabelKey(labeler: identity, request: .rank("b", "a", goal: .custom("x y")))
        #expect(try store.lookup([otherModel, otherPrompt, swappedPair]).isEmpty)
    }

    @Test func exportThenImportReproducesEveryRow() throws {
        let (store, directory) = try temporaryStore()
        try store.save(sample())
        let file = directory.appendingPathComponent("labels.jsonl")
        #expect(try store.exportJSONLines(to: file) == 3)
        let (fresh, _) = try temporaryStore()
        #expect(try fresh.importJSONLines(from: file) == 3)
        let found = try fresh.lookup(sample().map(\.key))
        #expect(found.mapValues(\.outcome) == Dictionary(uniqueKeysWithValues: sample().map { ($0.key, $0.outcome) }))
        // Importing again adds nothing: existing rows win.
        #expect(try fresh.importJSONLines(from: file) == 0)
    }

    @Test func importRejectsABadLineByNumberAndWritesNothing() throws {
        let (store, directory) = try temporaryStore()
        try store.save(sample())
        let file = directory.appendingPathComponent("labels.jsonl")
        try store.exportJSONLines(to: file)
        var text = try String(contentsOf: file, encoding: .utf8)
        text += #"{"backend":"x","model":"m","prompt_version":"p","goal":"score","task":"classify","caption":"c","label":"great","raw_response":"","attempts":1,"latency_seconds":0,"created_at":0,"updated_at":0}"# + "\n"
        try text.write(to: file, atomically: true, encoding: .utf8)
        let (fresh, _) = try temporaryStore()
        #expect(throws: AnnotatorError.invalidInput("labels.jsonl line 4: invalid input: unknown label 'great'")) {
            try fresh.importJSONLines(from: file)
        }
        #expect(try fresh.count() == 0)
    }

    /// A label of the other kind (`first` for a classification) was accepted and later sent as
    /// another label (`not_helpful`); a huge latency trapped converting to microseconds.
    @Test(arguments: [
        (#""task":"classify","caption":"c","label":"first","latency_seconds":0"#, "label 'first' does not answer a 'classify' task"),
        (#""task":"rank","first":"a","second":"b","label":"helpful","latency_seconds":0"#, "label 'helpful' does not answer a 'rank' task"),
        (#""task":"classify","caption":"c","label":"helpful","latency_seconds":1e300"#, "latency_seconds in 0...1e6"),
    ])
    func importRefusesALabelOfTheOtherKindAndAHugeLatency(_ fields: String, _ expected: String) throws {
        let (store, directory) = try temporaryStore()
        let file = directory.appendingPathComponent("labels.jsonl")
        let line = #"{"backend":"x","model":"m","prompt_version":"p","goal":"score","# + fields + #","raw_response":"","attempts":1,"created_at":0,"updated_at":0}"#
        try (line + "\n").write(to: file, atomically: true, encoding: .utf8)
        #expect { try store.importJSONLines(from: file) } throws: { "\($0)".contains(expected) }
        #expect(try store.count() == 0)
    }
}
