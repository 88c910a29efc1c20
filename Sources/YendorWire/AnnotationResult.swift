/// Labels for some items: the direct reply to a request and, on the annotator's PUB socket, the
/// stream of labels as they arrive.
public struct AnnotationResult: WirePayload {
    public static let kind = MessageKind.annotationResult

    /// The request this answers; 0 on the broadcast stream.
    public var requestID: UInt64
    public var goal: String
    public var mode: AnnotationMode
    /// Who labeled: backend, model and prompt version, e.g. `openai/llama-3-8b/cls-v1`.
    public var labeler: String
    public var entries: [Entry]

    /// The outcome for one item.
    public enum Outcome: Sendable, Equatable {
        /// The label (on the wire as `Label.wireCode`, a number per mode).
        case label(Label)
        /// Queued; the label will be published when it arrives.
        case pending
        /// No label for this item, and why.
        case error(ErrorKind, String)
    }

    /// Why an item has no label.
    public enum ErrorKind: UInt8, Sendable, CaseIterable {
        /// The answer had no recognisable label (after bounded retries).
        case unparsable = 1
        /// The LLM server failed (timeouts, 5xx, circuit open) after bounded retries.
        case backend = 2
        /// The bounded queue was full and this older request was dropped.
        case dropped = 3
        /// The request was malformed (e.g. a pair in a classification request).
        case invalidRequest = 4
    }

    public struct Entry: Sendable, Equatable {
        public var item: LabelTask
        public var outcome: Outcome
        public init(item: LabelTask, outcome: Outcome) {
            self.item = item
            self.outcome = outcome
        }
    }

    public init(requestID: UInt64, goal: String, mode: AnnotationMode, labeler: String, entries: [Entry]) {
        self.requestID = requestID
        self.goal = goal
        self.mode = mode
        self.labeler = labeler
        self.entries = entries
    }

    public var encodedSizeHint: Int { 96 + entries.count * 56 }

    // Per entry: item, u8 status (0 label, 1 pending, 2 error), u8 value (label or error kind), message string.
    public func encode(into w: inout ByteWriter) {
        w.write(requestID)
        w.write(goal)
        w.write(mode.rawValue)
        w.write(labeler)
        w.writeList(entries) { w, e in
            e.item.encode(into: &w)
            switch e.outcome {
            case .label(let l):
                w.write(UInt8(0)); w.write(l.wireCode); w.write("")
            case .pending:
                w.write(UInt8(1)); w.write(UInt8(0)); w.write("")
            case .error(let kind, let message):
                w.write(UInt8(2)); w.write(kind.rawValue); w.write(message)
            }
        }
    }

    public init(from r: inout ByteReader) throws {
        requestID = try r.read(UInt64.self, "request_id")
        goal = try r.readString("goal")
        mode = try AnnotationMode.read(from: &r)
        labeler = try r.readString("labeler")
        let mode = mode
        entries = try r.readList("entry count", minimumItemBytes: 10) { r, i in
            let item = try LabelTask.read(from: &r, mode: mode, index: i)
            let status = try r.read(UInt8.self, "entry[\(i)].status")
            let value = try r.read(UInt8.self, "entry[\(i)].value")
            let message = try r.readString("entry[\(i)].message")
            let outcome: Outcome
            switch status {
            case 0:
                guard let label = Label(wireCode: value, mode: mode) else {
                    throw WireError.invalidValue(field: "entry[\(i)].value", detail: "label \(value) out of range 0...\(mode == .classification ? 1 : 2)")
                }
                outcome = .label(label)
            case 1: outcome = .pending
            case 2:
                guard let kind = ErrorKind(rawValue: value) else {
                    throw WireError.invalidValue(field: "entry[\(i)].value", detail: "unknown error kind \(value)")
                }
                outcome = .error(kind, message)
            default:
                throw WireError.invalidValue(field: "entry[\(i)].status", detail: "unknown status \(status)")
            }
            return Entry(item: item, outcome: outcome)
        }
    }
}
