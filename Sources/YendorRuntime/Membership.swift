import YendorWire

/// Which workers are alive, from their `Hello`, `Heartbeat` and `Goodbye` messages. Workers may join
/// and leave at any time; the learner never waits for a particular one.
public struct Membership: Sendable {
    public struct Member: Sendable, Equatable {
        public let id: String
        public var role: String
        public var capabilities: [String: String]
        public var joined: Double
        public var lastSeen: Double
        public var policyVersion: UInt64
        public var batches: Int
    }

    /// Seconds of silence after which a member is considered gone.
    public let timeout: Double
    public private(set) var members: [String: Member] = [:]
    /// Members that joined, left or timed out since the start (for metrics and tests).
    public private(set) var joins = 0, leaves = 0, timeouts = 0

    public init(timeout: Double) { self.timeout = timeout }

    /// Records a Hello. Returns true if the id is new (or had left), so the caller can send it weights.
    @discardableResult
    public mutating func hello(_ h: Hello, now: Double) -> Bool {
        let caps = Dictionary(h.capabilities.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
        if var m = members[h.id] {
            m.lastSeen = now
            m.capabilities = caps
            members[h.id] = m
            return false
        }
        members[h.id] = Member(id: h.id, role: h.role, capabilities: caps, joined: now, lastSeen: now, policyVersion: 0, batches: 0)
        joins += 1
        return true
    }

    /// Records any sign of life. Unknown ids are ignored (they must say Hello first).
    public mutating func seen(_ id: String, now: Double, policyVersion: UInt64? = nil, batch: Bool = false) {
        guard var m = members[id] else { return }
        m.lastSeen = now
        if let policyVersion { m.policyVersion = policyVersion }
        if batch { m.batches += 1 }
        members[id] = m
    }

    public func isMember(_ id: String) -> Bool { members[id] != nil }

    public mutating func goodbye(_ id: String) {
        if members.removeValue(forKey: id) != nil { leaves += 1 }
    }

    /// Removes members silent for longer than `timeout`; returns their ids.
    public mutating func prune(now: Double) -> [String] {
        let gone = members.values.filter { now - $0.lastSeen > timeout }.map(\.id)
        for id in gone { members.removeValue(forKey: id) }
        timeouts += gone.count
        return gone.sorted()
    }

    public var count: Int { members.count }
}
