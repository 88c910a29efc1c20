// `Goal` lives in YendorEnvironment, so that tasks can declare theirs; the annotator's users get it here.
@_exported import enum YendorEnvironment.Goal
// The question and the answer are the wire's types (one vocabulary from reward model to labeler).
@_exported import enum YendorWire.LabelTask
@_exported import enum YendorWire.Label
@_exported import struct YendorWire.LabeledTask

extension Goal {
    /// `init(key:)` with the annotator's error type.
    static func parsed(key: String) throws(AnnotatorError) -> Goal {
        do { return try Goal(key: key) } catch { throw .invalidInput(error.message) }
    }
}
// The annotator's retry waits are configured with the support module's `Backoff`.
@_exported import struct YendorSupport.Backoff
