import Foundation
import Testing
import YendorTestSupport
@testable import YendorAnnotator

/// `LabelerEvaluation` and `yendor annotator evaluate` on a small fixed set whose counts are
/// derived by hand from the lexicon's rules (and, for the OpenAI backend, the stub's answers).
@Suite struct LabelerEvaluationTests {
    /// Six captions, two goals. Lexicon verdicts (score, gold) by its rules:
    /// A gold taken: (yes, yes); B a kill: (yes, no); C the pet takes gold: (no, no);
    /// D a hit without a kill: (no, no); E gold heard: (yes, yes); F a wall: (no, no).
    /// The hand labels below differ from them on D (score 1: a false negative) and E (gold 0:
    /// a false positive).
    static let fixture = """
        # a comment line
        count\tscore\tgold\tcaption
        10\t1\t1\t$ - 5 gold pieces.
        4\t1\t0\tYou kill the newt!
        7\t0\t0\tThe kitten picks up a gold piece.
        2\t1\t0\tYou hit the newt.
        5\t1\t0\tYou hear someone counting money.
        100\t0\t0\tIt's a wall.

        """

    @Test func lexiconOnTheFixedSetGivesTheHandDerivedCounts() async throws {
        let set = try EvaluationSet.parse(Self.fixture)
        let report = try await LabelerEvaluation.run(LexiconLabeler(), on: set, batchSize: 4)
        #expect(report.captions == 6)
        #expect(report.totalCount == 128)
        let score = report.goals[0], gold = report.goals[1]
        #expect(score.goal == .score && gold.goal == .gold)
        // score: TP A, B, E; FN D; TN C, F.
        #expect(score.distinct == ConfusionCounts(truePositives: 3, falsePositives: 0, falseNegatives: 1, trueNegatives: 2))
        #expect(score.weighted == ConfusionCounts(truePositives: 19, falsePositives: 0, falseNegatives: 2, trueNegatives: 107))
        #expect(score.distinct.precision == 1.0 && score.distinct.recall == 0.75)
        #expect(score.weighted.recall == 19.0 / 21.0)
        // gold: TP A; FP E; TN B, C, D, F.
        #expect(gold.distinct == ConfusionCounts(truePositives: 1, falsePositives: 1, falseNegatives: 0, trueNegatives: 4))
        #expect(gold.weighted == ConfusionCounts(truePositives: 10, falsePositives: 5, falseNegatives: 0, trueNegatives: 113))
        #expect(gold.weighted.precision == 10.0 / 15.0 && gold.weighted.recall == 1.0)
        #expect(score.disagreements.map(\.caption) == ["You hit the newt."])
        #expect(gold.disagreements.map(\.caption) == ["You hear someone counting money."])
        #expect(score.unanswered == 0 && gold.unanswered == 0)
    }

    /// A labeler that answers nothing (a server down or refusing) is asked no more after three
    /// calls in a row: through retries and a circuit breaker, the whole set took hours.
    @Test func aLabelerThatAnswersNothingIsStoppedAndTheRestCountedAsNotAsked() async throws {
        let set = try EvaluationSet.parse(Self.fixture)
        let failing = try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: .init(failureRate: 1))
        let report = try await LabelerEvaluation.run(failing, on: set, batchSize: 1)
        let score = report.goals[0], gold = report.goals[1]
        #expect(score.unanswered == 6 && gold.unanswered == 6)
        #expect(score.errors == ["simulated_failure": 3, "not_asked": 3] && gold.errors == ["not_asked": 6])
        #expect(report.stopped?.contains("3 labeler calls in a row answered nothing") == true, "\(String(describing: report.stopped))")
        #expect(report.table.contains("stopped: 3 labeler calls"))
    }

    /// Records the size of every call it passes on.
    final class CallSizes: Labeler, @unchecked Sendable {
        let inner: any Labeler
        private let lock = NSLock()
        private var recorded: [Int] = []
        init(_ inner: any Labeler) { self.inner = inner }
        var identity: LabelerIdentity { inner.identity }
        var sizes: [Int] { lock.withLock { recorded } }
        func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
            lock.withLock { recorded.append(requests.count) }
            return await inner.label(requests)
        }
    }

    /// A server that is down costs three one-caption calls, not three whole batches (minutes each
    /// through retries and the circuit breaker); a working one is asked one caption, then batches.
    @Test func aDeadLabelerIsProbedWithOneCaptionAtATime() async throws {
        let set = try EvaluationSet.parse(Self.fixture)
        let dead = CallSizes(try SimulatedLabeler(wrapping: LexiconLabeler(), configuration: .init(failureRate: 1)))
        let report = try await LabelerEvaluation.run(dead, on: set, batchSize: 64)
        #expect(dead.sizes == [1, 1, 1])
        #expect(report.goals[0].errors == ["simulated_failure": 3, "not_asked": 3] && report.stopped != nil)
        let working = CallSizes(LexiconLabeler())
        _ = try await LabelerEvaluation.run(working, on: set, batchSize: 4)
        #expect(working.sizes == [1, 4, 1, 1, 4, 1])
    }

    @Test func aGoalSubsetIsEvaluatedAloneAndAMissingColumnIsAnError() async throws {
        let set = try EvaluationSet.parse(Self.fixture)
        let report = try await LabelerEvaluation.run(LexiconLabeler(), on: set, goals: [.gold])
        #expect(report.goals.map(\.goal) == [.gold])
        await #expect(throws: AnnotatorError.self) {
            _ = try await LabelerEvaluation.run(LexiconLabeler(), on: set, goals: [.stairs])
        }
    }

    @Test func precisionAndRecallAreUndefinedWithoutPositives() {
        let none = ConfusionCounts(truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 9)
        #expect(none.precision == nil && none.recall == nil)
    }

    @Test(arguments: [
        ("count\tscore\tcaption\n3\t2\tIt's a wall.\n", "verdict '2'"),
        ("count\tscore\tcaption\n-1\t0\tIt's a wall.\n", "count '-1'"),
        ("count\tscore\tcaption\n3\t0\n", "expected 3"),
        ("count\tdig\tcaption\n", "column 'dig'"),
        ("score\tcount\tcaption\n", "the header"),
        ("count\tscore\tcaption\n1\t0\tYou miss.\n2\t1\tYou miss.\n", "listed twice"),
    ])
    func badSetsAreRejectedNamingTheLine(text: String, message: String) {
        #expect {
            _ = try EvaluationSet.parse(text, source: "t.tsv")
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("t.tsv")
        }
    }

    /// The stub's answers for the gold goal: A and C get the default "helpful", B, E and F
    /// "not helpful", D an answer without a label. Against the hand labels: TP A (10), FP C (7),
    /// TN B, E, F (109), D unanswered (2, no_label).
    static func stubRules(_ format: AnswerFormat) -> [[String: Any]] {
        let no = format == .oniTags ? "<knowledge>NetHack.</knowledge>\n<analysis>Routine.</analysis>\n<label> BAR </label>" : "Answer: not helpful"
        return [
            ["match": "You kill the newt!", "content": no],
            ["match": "You hear someone counting money.", "content": no],
            ["match": "It's a wall.", "content": no],
            ["match": "You hit the newt.", "content": format == .oniTags ? "<label>FOO/BAR</label>" : "I cannot tell."],
        ]
    }

    @Test(arguments: [AnswerFormat.answerLine, .oniTags])
    func theOpenAIBackendIsEvaluatedOnTheSameSet(format: AnswerFormat) async throws {
        var rules = Self.stubRules(format)
        if format == .oniTags {
            // Without a rule the stub answers "Answer: helpful", which ONI's parser refuses.
            rules += [["match": "gold piece", "content": "<analysis>Gold.</analysis>\n<label>FOO</label>"]]
        }
        let server = try await StubServer.started(behaviour: ["rules": rules])
        defer { server.stop() }
        var configuration = OpenAILabeler.Configuration(baseURL: server.baseURL, model: "stub")
        configuration.prompts = format == .oniTags ? .oni : .builtIn
        configuration.maxRetries = 0
        let labeler = try OpenAILabeler(configuration: configuration, logger: testLogger)
        let set = try EvaluationSet.parse(Self.fixture)
        let report = try await LabelerEvaluation.run(labeler, on: set, goals: [.gold], batchSize: 3)
        let gold = try #require(report.goals.first)
        #expect(gold.distinct == ConfusionCounts(truePositives: 1, falsePositives: 1, falseNegatives: 0, trueNegatives: 3))
        #expect(gold.weighted == ConfusionCounts(truePositives: 10, falsePositives: 7, falseNegatives: 0, trueNegatives: 109))
        #expect(gold.unanswered == 1 && gold.unansweredWeight == 2)
        #expect(gold.errors == ["no_label": 1])
        #expect(report.labeler.promptVersion == configuration.prompts.version)
        let stats = try await server.stats()
        #expect(stats.calls == 6)
        if format == .oniTags { #expect(stats.prompts.allSatisfy { $0.contains("FOO") && $0.contains("<label>") }) }
    }

    @Test func theEvaluateCommandPrintsTheExactCountsAsJSON() async throws {
        let file = try temporaryDirectory().appendingPathComponent("set.tsv")
        try Data(Self.fixture.utf8).write(to: file)
        let process = try ChildProcess(yendor: ["annotator", "evaluate", "--set", file.path, "--json"])
        #expect(await process.waitForExit(timeout: 600) == 0)
        let text = process.lines.joined(separator: "\n")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["captions"] as? Int == 6)
        #expect(object["total_count"] as? Int == 128)
        let goals = try #require(object["goals"] as? [[String: Any]])
        #expect(goals.map { $0["goal"] as? String } == ["score", "gold"])
        func counts(_ goal: Int, _ kind: String) -> [Int?] {
            let c = goals[goal][kind] as? [String: Any] ?? [:]
            return ["tp", "fp", "fn", "tn"].map { c[$0] as? Int }
        }
        #expect(counts(0, "distinct") == [3, 0, 1, 2])
        #expect(counts(0, "weighted") == [19, 0, 2, 107])
        #expect(counts(1, "distinct") == [1, 1, 0, 4])
        #expect(counts(1, "weighted") == [10, 5, 0, 113])
        #expect((goals[1]["weighted"] as? [String: Any])?["precision"] as? Double == 10.0 / 15.0)
    }

    /// The built-in set is the repository's, found from any working directory; so is the held-out
    /// one, named by its path in the repository (it was looked for only in the working directory).
    @Test(arguments: [nil, "data/annotator-eval-heldout.tsv"])
    func theEvaluateCommandFindsTheRepositorysSetsFromAnyDirectory(set: String?) async throws {
        let elsewhere = try temporaryDirectory()
        let process = try ChildProcess(yendor: ["annotator", "evaluate", "--goals", "score", "--json"] + (set.map { ["--set", $0] } ?? []),
                                       directory: elsewhere)
        #expect(await process.waitForExit(timeout: 600) == 0, "\(process.standardError.suffix(1500))")
        let object = try JSONSerialization.jsonObject(with: Data(process.lines.joined(separator: "\n").utf8)) as? [String: Any]
        #expect((object?["captions"] as? Int ?? 0) > 100)
    }

    /// A binary copied out of the repository (an install) found no built-in set, and the error
    /// blamed --set, not given; now it says where it looked, and YENDOR_HOME names the repository.
    @Test func aCopiedBinaryFindsTheBuiltInSetThroughYendorHomeAndSaysWhereItLookedWithout() async throws {
        let elsewhere = try temporaryDirectory()
        let copy = elsewhere.appendingPathComponent("yendor")
        // Copied by a process of its own: a file this process writes can be held open for writing
        // by a child another test forks meanwhile, and running it then fails with "Text file busy".
        let cp = try ChildProcess(executable: URL(fileURLWithPath: "/bin/cp"), arguments: [ChildProcess.yendorBinary.path, copy.path])
        #expect(await cp.waitForExit(timeout: 600) == 0, "\(cp.standardError)")
        defer { try? FileManager.default.removeItem(at: copy) }
        let lost = try ChildProcess(executable: copy, arguments: ["annotator", "evaluate", "--goals", "score", "--json"], directory: elsewhere)
        #expect(await lost.waitForExit(timeout: 600) == 64)
        #expect(lost.standardError.contains("is not under any of") && lost.standardError.contains("YENDOR_HOME")
                && !lost.standardError.contains("--set:"), "\(lost.standardError.suffix(1500))")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let found = try ChildProcess(executable: copy, arguments: ["annotator", "evaluate", "--goals", "score", "--json"],
                                     environment: ["YENDOR_HOME": repository.path], directory: elsewhere)
        #expect(await found.waitForExit(timeout: 600) == 0, "\(found.standardError.suffix(1500))")
    }

    @Test func theEvaluateCommandRejectsAnUnknownPromptSetNamingTheFlag() async throws {
        let file = try temporaryDirectory().appendingPathComponent("set.tsv")
        try Data(Self.fixture.utf8).write(to: file)
        let process = try ChildProcess(yendor: ["annotator", "evaluate", "--set", file.path, "--backend", "openai",
                                                "--llm-url", "http://127.0.0.1:9/v1", "--model", "m", "--prompt-set", "motif"])
        #expect(await process.waitForExit(timeout: 600) != 0)
        #expect(process.standardError.contains("--prompt-set"))
    }

    /// The flags fill the same `LabelerChoice` as a learner's `reward.*` keys; its errors come back
    /// under the flag's name.
    @Test func theAnnotatorRefusesAnOpenAIBackendWithoutAServerNamingTheFlag() async throws {
        let process = try ChildProcess(yendor: ["annotator", "--backend", "openai", "--store", try temporaryDirectory().appendingPathComponent("l.sqlite").path])
        #expect(await process.waitForExit(timeout: 600) != 0)
        #expect(process.standardError.contains("--llm-url is required"), "\(process.standardError)")
    }

    /// The server's own validation names its Swift fields (`annotator.batchSize`); the user reads the flag.
    @Test(arguments: [(["--batch-size", "0"], "--batch-size must be >= 1"), (["--requests", "nonsense"], "--requests must be"),
                      (["--shutdown-grace-s", "1", "--queue-capacity", "0"], "--queue-capacity must be >= 1")])
    func theAnnotatorNamesTheFlagOfAnInvalidSetting(arguments: [String], message: String) async throws {
        let store = try temporaryDirectory().appendingPathComponent("l.sqlite").path
        let process = try ChildProcess(yendor: ["annotator", "--store", store] + arguments)
        #expect(await process.waitForExit(timeout: 600) != 0)
        #expect(process.standardError.contains(message), "\(process.standardError)")
        // Under it, the subcommand's usage (it was the root's "yendor <subcommand>").
        #expect(process.standardError.contains("Usage: yendor annotator serve"), "\(process.standardError)")
    }
}
