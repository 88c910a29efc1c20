import Foundation
import YendorSupport

/// The JSON-lines form of a `StoredLabel`: flat, snake_case, readable from Python.
///
/// `task` is `classify` (with `caption`) or `rank` (with `first` and `second`); exactly one
/// of `label` and `error` is set; times are Unix seconds.
struct StoredLabelLine: Codable {
    var backend: String
    var model: String
    var prompt_version: String
    var goal: String
    var task: String
    var caption: String?
    var first: String?
    var second: String?
    var label: String?
    var error: String?
    var raw_response: String
    var attempts: Int
    var latency_seconds: Double
    var created_at: Double
    var updated_at: Double

    init(_ stored: StoredLabel) {
        backend = stored.key.labeler.backend
        model = stored.key.labeler.model
        prompt_version = stored.key.labeler.promptVersion
        goal = stored.key.request.goal.key
        switch stored.key.request.task {
        case .classify(let text):
            task = "classify"
            caption = text
        case .rank(let a, let b):
            task = "rank"
            first = a
            second = b
        }
        switch stored.outcome {
        case .labeled(let value): label = value.rawValue
        case .failed(let kind): error = kind.rawValue
        }
        raw_response = stored.rawResponse
        attempts = stored.attempts
        latency_seconds = stored.latency.seconds
        created_at = stored.createdAt.timeIntervalSince1970
        updated_at = stored.updatedAt.timeIntervalSince1970
    }

    func stored() throws(AnnotatorError) -> StoredLabel {
        let taskValue: LabelTask
        switch (task, caption, first, second) {
        case ("classify", let text?, nil, nil): taskValue = .classify(caption: text)
        case ("rank", nil, let a?, let b?): taskValue = .rank(first: a, second: b)
        default:
            throw .invalidInput("task must be 'classify' with 'caption' or 'rank' with 'first' and 'second'")
        }
        let outcome: LabelOutcome
        switch (label, error) {
        case (let text?, nil):
            guard let value = Label(rawValue: text) else { throw .invalidInput("unknown label '\(text)'") }
            // A ranking label on a classification (or the reverse) would be sent as another label.
            guard value.mode == taskValue.mode else { throw .invalidInput("label '\(text)' does not answer a '\(task)' task") }
            outcome = .labeled(value)
        case (nil, LabelErrorKind.unlabelable.rawValue):
            outcome = .failed(.unlabelable)
        default:
            throw .invalidInput("exactly one of 'label' and 'error' (only 'unlabelable') must be set")
        }
        let request = LabelRequest(goal: try Goal.parsed(key: goal), task: taskValue)
        let key = LabelKey(labeler: LabelerIdentity(backend: backend, model: model, promptVersion: prompt_version), request: request)
        guard attempts >= 0, latency_seconds.isFinite, latency_seconds >= 0, latency_seconds <= 1e6 else {
            throw .invalidInput("attempts must be non-negative and latency_seconds in 0...1e6, got \(attempts) and \(latency_seconds)")
        }
        return StoredLabel(key: key, outcome: outcome, rawResponse: raw_response, attempts: attempts,
                           latency: .microseconds(clampingSeconds: latency_seconds),
                           createdAt: Date(timeIntervalSince1970: created_at),
                           updatedAt: Date(timeIntervalSince1970: updated_at))
    }
}
