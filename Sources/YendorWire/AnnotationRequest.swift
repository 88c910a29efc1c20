/// The two ways ONI asks an LLM about captions.
public enum AnnotationMode: UInt8, Sendable, CaseIterable {
    case classification = 0
    case ranking = 1
}

/// Captions (or caption pairs) a client wants labeled for a goal. Sent to the annotator's ROUTER.
public struct AnnotationRequest: WirePayload {
    public static let kind = MessageKind.annotationRequest

    /// Chosen by the client; echoed in the direct reply.
    public var requestID: UInt64
    /// Goal name (`score`, `gold`, `combat`, `stairs`) or free text for a custom goal.
    public var goal: String
    /// Classification items are `.classify`, ranking items are `.rank`; mixing is an error.
    public var mode: AnnotationMode
    public var items: [LabelTask]

    public init(requestID: UInt64, goal: String, mode: AnnotationMode, items: [LabelTask]) {
        self.requestID = requestID
        self.goal = goal
        self.mode = mode
        self.items = items
    }

    public var encodedSizeHint: Int { 64 + items.count * 48 }

    public func encode(into w: inout ByteWriter) {
        w.write(requestID)
        w.write(goal)
        w.write(mode.rawValue)
        w.writeList(items) { w, item in item.encode(into: &w) }
    }

    public init(from r: inout ByteReader) throws {
        requestID = try r.read(UInt64.self, "request_id")
        goal = try r.readString("goal")
        mode = try AnnotationMode.read(from: &r)
        let mode = mode
        items = try r.readList("item count", minimumItemBytes: 4) { r, i in try LabelTask.read(from: &r, mode: mode, index: i) }
    }
}

extension AnnotationMode {
    static func read(from r: inout ByteReader) throws -> AnnotationMode {
        let code = try r.read(UInt8.self, "mode")
        guard let mode = AnnotationMode(rawValue: code) else {
            throw WireError.invalidValue(field: "mode", detail: "unknown annotation mode \(code)")
        }
        return mode
    }
}
