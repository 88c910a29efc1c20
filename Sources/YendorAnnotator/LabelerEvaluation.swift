import Foundation

/// Measures any labeler (the lexicon, an OpenAI-compatible server, the simulated backend)
/// against an `EvaluationSet`: for every goal, precision and recall of its "helpful" verdicts,
/// per distinct caption and weighted by how often each caption occurs in play.
///
/// Items without a label (the model's answer had none, or the server failed after its retries)
/// are not counted in the confusion counts; they are reported as `unanswered`, by error kind,
/// so a flaky server cannot pass for a cautious labeler.
public enum LabelerEvaluation {
    /// The result for one goal.
    public struct GoalResult: Sendable, Equatable {
        public var goal: Goal
        public var distinct = ConfusionCounts()
        public var weighted = ConfusionCounts()
        /// Captions without a label, and their total count.
        public var unanswered = 0
        public var unansweredWeight = 0
        /// Error kinds of the unanswered items.
        public var errors: [String: Int] = [:]
        /// Captions where the labeler and the hand label disagree, most frequent first.
        public var disagreements: [Disagreement] = []

        public init(goal: Goal) { self.goal = goal }
    }

    public struct Disagreement: Sendable, Equatable {
        public var caption: String
        public var count: Int
        /// The hand label.
        public var expected: Bool
    }

    public struct Report: Sendable, Equatable {
        public var labeler: LabelerIdentity
        public var captions: Int
        public var totalCount: Int
        public var goals: [GoalResult]
        /// Why the labeler was asked no more (its calls kept failing), if it was stopped.
        public var stopped: String? = nil
    }

    /// Asks `labeler` to classify every caption of `set` for each of `goals` (all the set's
    /// goals by default), `batchSize` requests per labeler call (one in the first call of a goal
    /// and after a call that answered nothing). After `stopAfterFailedBatches` calls in a row with
    /// no answer at all (a server down or refusing), the rest is not asked and counts as
    /// unanswered (`not_asked`): through retries and a circuit breaker, asking on would take hours
    /// and say nothing more.
    public static func run(_ labeler: any Labeler, on set: EvaluationSet, goals: [Goal]? = nil,
                           batchSize: Int = 64, stopAfterFailedBatches: Int = 3) async throws(AnnotatorError) -> Report {
        let chosen = goals ?? set.goals
        var columns: [Int] = []
        for goal in chosen {
            guard let column = set.goals.firstIndex(of: goal) else {
                throw .invalidInput("the evaluation set has no column for goal '\(goal.key)' (it has \(set.goals.map(\.key).joined(separator: ", ")))")
            }
            columns.append(column)
        }
        guard batchSize >= 1 else { throw .invalidConfiguration(field: "batchSize", reason: "must be >= 1, got \(batchSize)") }
        var results: [GoalResult] = []
        var failedInARow = 0, stopped: String?
        for (goal, column) in zip(chosen, columns) {
            var result = GoalResult(goal: goal)
            let requests = set.items.map { LabelRequest.classify($0.caption, goal: goal) }
            var answers: [LabelerAnswer] = []
            while answers.count < requests.count && stopped == nil {
                // One caption first, and again after a call that answered nothing: a server that is
                // down costs three one-caption calls, not three whole batches (each of which, through
                // retries and a circuit breaker that lets one request through every few seconds,
                // took minutes).
                let size = failedInARow > 0 || answers.isEmpty ? 1 : batchSize
                let asked = Array(requests[answers.count..<min(answers.count + size, requests.count)])
                let batch = await labeler.label(asked)
                guard batch.count == asked.count else {  // a labeler breaking its contract would loop here for ever
                    stopped = "the labeler answered \(batch.count) of \(asked.count) captions in one call; the rest was not asked"
                    break
                }
                answers += batch
                let failures = batch.compactMap { if case .failed(let kind) = $0.outcome { kind } else { nil } }
                failedInARow = failures.count == batch.count ? failedInARow + 1 : 0
                if failedInARow >= stopAfterFailedBatches, let last = failures.last {
                    stopped = "\(failedInARow) labeler calls in a row answered nothing (the last: \(last.rawValue)); the rest was not asked"
                }
            }
            for (item, answer) in zip(set.items, answers) {
                let expected = item.helpful[column]
                switch answer.outcome {
                case .labeled(let label):
                    let predicted = label == .helpful
                    result.distinct.add(predicted: predicted, actual: expected)
                    result.weighted.add(predicted: predicted, actual: expected, weight: item.count)
                    if predicted != expected {
                        result.disagreements.append(Disagreement(caption: item.caption, count: item.count, expected: expected))
                    }
                case .failed(let kind):
                    result.unanswered += 1
                    result.unansweredWeight += item.count
                    result.errors[kind.rawValue, default: 0] += 1
                }
            }
            for item in set.items.dropFirst(answers.count) {  // not asked: the labeler was stopped
                result.unanswered += 1
                result.unansweredWeight += item.count
                result.errors["not_asked", default: 0] += 1
            }
            result.disagreements.sort { ($0.count, $1.caption) > ($1.count, $0.caption) }
            results.append(result)
        }
        return Report(labeler: labeler.identity, captions: set.items.count,
                      totalCount: set.items.reduce(0) { $0 + $1.count }, goals: results, stopped: stopped)
    }
}

extension LabelerEvaluation.Report {
    /// A Markdown table, one row per goal: what `yendor annotator evaluate` prints.
    public var table: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
        func counts(_ c: ConfusionCounts) -> String {
            "\(c.truePositives) | \(c.falsePositives) | \(c.falseNegatives) | \(c.trueNegatives) | \(percent(c.precision)) | \(percent(c.recall))"
        }
        var lines = [
            "labeler: \(labeler.backend) / \(labeler.model) / \(labeler.promptVersion); \(captions) captions, total count \(totalCount)",
            "",
            "| goal | TP | FP | FN | TN | precision | recall | TP (weighted) | FP (weighted) | FN (weighted) | TN (weighted) | precision (weighted) | recall (weighted) | unanswered |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for g in goals {
            let errors = g.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("| \(g.goal.key) | \(counts(g.distinct)) | \(counts(g.weighted)) | \(g.unanswered)\(errors.isEmpty ? "" : " (\(errors))") |")
        }
        if let stopped { lines += ["", "stopped: \(stopped)"] }
        return lines.joined(separator: "\n")
    }

    /// The disagreements per goal, up to `limit` each, most frequent first.
    public func disagreements(limit: Int) -> String {
        var lines: [String] = []
        for g in goals where !g.disagreements.isEmpty {
            lines.append("\(g.goal.key): \(g.disagreements.count) disagreement\(g.disagreements.count == 1 ? "" : "s")")
            for d in g.disagreements.prefix(limit) {
                lines.append("  \(d.expected ? "missed (FN)" : "wrong (FP) ")  \(d.count)\t\(d.caption)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON: per goal, distinct and weighted counts with precision and recall
    /// (null when undefined), unanswered items and their error kinds.
    public func json() -> Data {
        func counts(_ c: ConfusionCounts) -> [String: Any] {
            ["tp": c.truePositives, "fp": c.falsePositives, "fn": c.falseNegatives, "tn": c.trueNegatives,
             "precision": c.precision as Any? ?? NSNull(), "recall": c.recall as Any? ?? NSNull()]
        }
        var object: [String: Any] = [
            "labeler": ["backend": labeler.backend, "model": labeler.model, "prompt_version": labeler.promptVersion],
            "captions": captions,
            "total_count": totalCount,
            "goals": goals.map { g -> [String: Any] in
                ["goal": g.goal.key, "distinct": counts(g.distinct), "weighted": counts(g.weighted),
                 "unanswered": g.unanswered, "unanswered_weight": g.unansweredWeight, "errors": g.errors]
            },
        ]
        if let stopped { object["stopped"] = stopped }
        // Only strings, numbers, null, arrays and dictionaries: serialisation cannot fail.
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
    }
}
