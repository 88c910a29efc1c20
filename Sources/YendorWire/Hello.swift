/// A peer announcing itself: sent on connect and answered in kind. The capabilities carry what a
/// receiver must check before accepting data, e.g. `obs_layout` (the observation layout fingerprint).
public struct Hello: WirePayload {
    public static let kind = MessageKind.hello

    /// Role name: `worker`, `learner`, `replay`, `annotator`, `client`.
    public var role: String
    /// Unique id of this peer, e.g. `worker-nodeA-4711`.
    public var id: String
    /// The protocol version the sender speaks (the envelope's version is checked separately).
    public var protocolVersion: UInt16
    /// Key-value capabilities, in sender order.
    public var capabilities: [(key: String, value: String)]

    public init(role: String, id: String, protocolVersion: UInt16 = Envelope.version,
                capabilities: [(key: String, value: String)] = []) {
        self.role = role
        self.id = id
        self.protocolVersion = protocolVersion
        self.capabilities = capabilities
    }

    /// The value of a capability, if present.
    public func capability(_ key: String) -> String? { capabilities.first { $0.key == key }?.value }

    public static func == (a: Hello, b: Hello) -> Bool {
        a.role == b.role && a.id == b.id && a.protocolVersion == b.protocolVersion
            && a.capabilities.elementsEqual(b.capabilities) { $0.key == $1.key && $0.value == $1.value }
    }

    public func encode(into w: inout ByteWriter) {
        w.write(role)
        w.write(id)
        w.write(protocolVersion)
        w.writeList(capabilities) { w, c in
            w.write(c.key)
            w.write(c.value)
        }
    }

    public init(from r: inout ByteReader) throws {
        role = try r.readString("role")
        id = try r.readString("id")
        protocolVersion = try r.read(UInt16.self, "protocol_version")
        capabilities = try r.readList("capability count", minimumItemBytes: 8) { r, i in
            (try r.readString("capability[\(i)].key"), try r.readString("capability[\(i)].value"))
        }
    }
}

/// Liveness: every peer sends one per interval; a peer silent for several intervals is gone.
public struct Heartbeat: WirePayload {
    public static let kind = MessageKind.heartbeat

    /// The sender's id (as in its `Hello`).
    public var id: String
    /// Increases by one per heartbeat, so receivers can count losses.
    public var sequence: UInt64
    /// Sender's wall clock, nanoseconds since the Unix epoch.
    public var timeNanos: UInt64
    /// The policy version the sender is using (worker) or has published (learner).
    public var policyVersion: UInt64

    public init(id: String, sequence: UInt64, timeNanos: UInt64, policyVersion: UInt64) {
        self.id = id
        self.sequence = sequence
        self.timeNanos = timeNanos
        self.policyVersion = policyVersion
    }

    public func encode(into w: inout ByteWriter) {
        w.write(id)
        w.write(sequence)
        w.write(timeNanos)
        w.write(policyVersion)
    }

    public init(from r: inout ByteReader) throws {
        id = try r.readString("id")
        sequence = try r.read(UInt64.self, "sequence")
        timeNanos = try r.read(UInt64.self, "time_ns")
        policyVersion = try r.read(UInt64.self, "policy_version")
    }
}

/// A peer leaving on purpose (shutdown), so others need not wait for heartbeats to time out.
public struct Goodbye: WirePayload {
    public static let kind = MessageKind.goodbye

    /// The sender's id.
    public var id: String
    /// Why, for logs: `shutdown`, `refused: …`.
    public var reason: String

    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }

    /// The reason of the learner's answer to a worker's Goodbye, addressed to `id#instance`: the
    /// Goodbye, and so all that came before it on the same connection, has been taken in. Not a
    /// refusal.
    public static let acknowledgement = "left"

    /// How the reason of a refusal that passes by itself begins: the id is held by a live member
    /// from another process, and is free again a heartbeat timeout after that one's last message
    /// (a crashed worker started again under its id). Other refusals stand until the worker changes.
    public static let idHeldRefusal = "refused: " + idHeld
    /// The learner's reason for that refusal, which it says `refused: ` before.
    public static let idHeld = "the id is held by a live worker of another process"

    /// The learner's answer to a Goodbye from the worker process `id#instance`.
    public static func acknowledging(_ id: String, instance: String) -> Goodbye {
        Goodbye(id: "\(id)#\(instance)", reason: acknowledgement)
    }

    /// The frame an acknowledgement is published behind on the learner's PUB socket, so that it
    /// reaches only the SUB that subscribed to it (`ack:` and the addressee `id#instance`): every
    /// subscriber of everything got every worker's, and with 32 workers stopping together the
    /// learner's per-subscriber mark of 2 dropped a third of them (each worker then waited 3 s).
    /// Every other message is one frame, which begins with `Envelope.magic`.
    public static func acknowledgementTopic(_ addressee: String) -> [UInt8] { Array("ack:\(addressee)".utf8) }

    /// Whether this is a learner's answer to a Goodbye (`acknowledging`).
    public var isAcknowledgement: Bool { reason == Self.acknowledgement }

    public func encode(into w: inout ByteWriter) {
        w.write(id)
        w.write(reason)
    }

    public init(from r: inout ByteReader) throws {
        id = try r.readString("id")
        reason = try r.readString("reason")
    }
}

/// Named metrics from one peer (names are namespaced: `rollout/sps`, `annotator/queue_depth`).
public struct Stats: WirePayload {
    public static let kind = MessageKind.stats

    /// The sender's id.
    public var id: String
    /// The sender's role.
    public var role: String
    /// Sender's wall clock, nanoseconds since the Unix epoch.
    public var timeNanos: UInt64
    /// Metric name and value pairs.
    public var values: [(name: String, value: Double)]

    public init(id: String, role: String, timeNanos: UInt64, values: [(name: String, value: Double)]) {
        self.id = id
        self.role = role
        self.timeNanos = timeNanos
        self.values = values
    }

    public subscript(name: String) -> Double? { values.first { $0.name == name }?.value }

    public static func == (a: Stats, b: Stats) -> Bool {
        a.id == b.id && a.role == b.role && a.timeNanos == b.timeNanos
            && a.values.elementsEqual(b.values) { $0.name == $1.name && $0.value.bitPattern == $1.value.bitPattern }
    }

    public func encode(into w: inout ByteWriter) {
        w.write(id)
        w.write(role)
        w.write(timeNanos)
        w.writeList(values) { w, v in
            w.write(v.name)
            w.write(v.value)
        }
    }

    public init(from r: inout ByteReader) throws {
        id = try r.readString("id")
        role = try r.readString("role")
        timeNanos = try r.read(UInt64.self, "time_ns")
        values = try r.readList("stats count", minimumItemBytes: 12) { r, i in
            (try r.readString("stats[\(i)].name"), try r.readDouble("stats[\(i)].value"))
        }
    }
}
