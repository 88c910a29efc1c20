/// What an annotation is about: one caption to classify, or an ordered pair of captions to rank.
public enum AnnotationItem: Sendable, Hashable {
    /// Is this caption helpful for the goal?
    case caption(String)
    /// Which of the two captions shows more progress towards the goal?
    case pair(String, String)
}

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
    /// Classification items are `.caption`, ranking items are `.pair`; mixing is an error.
    public var mode: AnnotationMode
    public var items: [AnnotationItem]

    public init(requestID: UInt64, goal: String, mode: AnnotationMode, items: [AnnotationItem]) {
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
        w.write(UInt32(items.count))
        for item in items { item.encode(into: &w) }
    }

    public init(from r: inout ByteReader) throws {
        requestID = try r.read(UInt64.self, "request_id")
        goal = try r.readString("goal")
        mode = try AnnotationMode.read(from: &r)
        let n = try r.readCount("item count", minimumItemBytes: 4)
        items = []
        items.reserveCapacity(n)
        for i in 0..<n { items.append(try AnnotationItem.read(from: &r, mode: mode, index: i)) }
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

extension AnnotationItem {
    func encode(into w: inout ByteWriter) {
        switch self {
        case .caption(let c): w.write(c)
        case .pair(let a, let b):
            w.write(a)
            w.write(b)
        }
    }

    static func read(from r: inout ByteReader, mode: AnnotationMode, index: Int) throws -> AnnotationItem {
        switch mode {
        case .classification: return .caption(try r.readString("item[\(index)]"))
        case .ranking: return .pair(try r.readString("item[\(index)].first"), try r.readString("item[\(index)].second"))
        }
    }
}
