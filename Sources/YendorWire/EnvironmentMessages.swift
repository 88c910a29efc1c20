/// The environment-server protocol (kinds 48–54, docs/wire-protocol.md "Environment server"): a
/// worker steps N environments hosted by another process (e.g. Gymnasium envs in `yendor-env`).

/// Worker → server: reset every env (env i with `seed + i`) and describe them.
public struct EnvOpen: WirePayload {
    public static let kind = MessageKind.envOpen
    /// The protocol of an EnvOpen for the whole server.
    public static let wholeServer: UInt32 = 1
    /// The protocol of an EnvOpen for one slice; it carries `split` and `splits`.
    public static let slice: UInt32 = 2

    public var sequence: UInt64
    public var seed: UInt64
    /// The env-server protocol version: 1 opens the whole server, 2 one slice.
    public var protocolVersion: UInt32
    /// Which slice of `splits` equal slices of the server's envs to open (0 of 1: all of them).
    public var split: UInt32
    public var splits: UInt32

    /// Opens the whole server (protocol 1), or slice `split` of `splits` (protocol 2) when `splits` > 1.
    public init(sequence: UInt64, seed: UInt64, split: UInt32 = 0, splits: UInt32 = 1) {
        self.sequence = sequence
        self.seed = seed
        protocolVersion = splits == 1 ? Self.wholeServer : Self.slice
        self.split = split
        self.splits = splits
    }

    public func encode(into w: inout ByteWriter) {
        w.write(sequence)
        w.write(seed)
        w.write(protocolVersion)
        if protocolVersion == Self.slice {
            w.write(split)
            w.write(splits)
        }
    }

    public init(from r: inout ByteReader) throws {
        sequence = try r.read(UInt64.self, "sequence")
        seed = try r.read(UInt64.self, "seed")
        protocolVersion = try r.read(UInt32.self, "protocol")
        switch protocolVersion {
        case Self.wholeServer:
            (split, splits) = (0, 1)
        case Self.slice:
            split = try r.read(UInt32.self, "split")
            splits = try r.read(UInt32.self, "splits")
            guard split < splits else { throw WireError.invalidValue(field: "split", detail: "split \(split) of \(splits): needs split < splits") }
        default:
            throw WireError.invalidValue(field: "protocol", detail: "\(protocolVersion), expected 1 or 2")
        }
    }
}

/// Server → worker: the envs' observation spec and their first observations.
public struct EnvSpecMessage: WirePayload {
    public static let kind = MessageKind.envSpec
    public var sequence: UInt64
    public var environment: String
    public var task: String
    public var numEnvs: UInt32
    /// map_rows, map_columns, crop_size, glyph_count, blstats_count, caption_bytes, action_count.
    public var sizes: [UInt32]
    /// The first observations, as in `EnvStepResult.arrays`.
    public var observations: [NamedArray]

    public static let sizeCount = 7

    public init(sequence: UInt64, environment: String, task: String, numEnvs: UInt32, sizes: [UInt32], observations: [NamedArray]) {
        precondition(sizes.count == Self.sizeCount, "EnvSpec has \(Self.sizeCount) sizes")
        self.sequence = sequence
        self.environment = environment
        self.task = task
        self.numEnvs = numEnvs
        self.sizes = sizes
        self.observations = observations
    }

    public var encodedSizeHint: Int { observations.reduce(128) { $0 + $1.bytes.count + 48 } }

    public func encode(into w: inout ByteWriter) {
        w.write(sequence)
        w.write(environment)
        w.write(task)
        w.write(numEnvs)
        for s in sizes { w.write(s) }
        w.write(UInt32(0))
        w.writeList(observations) { w, a in w.writeArray(a) }
    }

    public init(from r: inout ByteReader) throws {
        sequence = try r.read(UInt64.self, "sequence")
        environment = try r.readString("environment")
        task = try r.readString("task")
        numEnvs = try r.read(UInt32.self, "num_envs")
        sizes = try (0..<Self.sizeCount).map { _ in try r.read(UInt32.self, "spec size") }
        guard try r.read(UInt32.self, "reserved") == 0 else { throw WireError.invalidValue(field: "reserved", detail: "must be 0") }
        observations = try ArrayTable(&r).arrays.map { $0.copy() }
    }
}

/// Worker → server: one action per env.
public struct EnvStep: WirePayload {
    public static let kind = MessageKind.envStep
    public var sequence: UInt64
    public var actions: [Int32]

    public init(sequence: UInt64, actions: [Int32]) {
        self.sequence = sequence
        self.actions = actions
    }

    public var encodedSizeHint: Int { 64 + 4 * actions.count }

    public func encode(into w: inout ByteWriter) {
        w.write(sequence)
        w.write(UInt32(1))
        w.writeArray(name: "actions", shape: [actions.count], values: actions)
    }

    public init(from r: inout ByteReader) throws {
        sequence = try r.read(UInt64.self, "sequence")
        let table = try ArrayTable(&r)
        let a = try table.required("actions")
        guard a.shape.count == 1, table.arrays.count == 1 else {
            throw WireError.invalidShape(field: "actions", detail: "expected one array actions i32 [N]")
        }
        actions = try a.values(as: Int32.self, shape: a.shape)
    }
}

/// An episode that ended in a served env.
public struct EnvEpisode: Sendable, Equatable {
    public var env: UInt32
    public var episodeReturn: Float
    public var length: UInt32
    public var success: Bool
    public var truncated: Bool
    /// The caption of the episode's final step.
    public var lastCaption: String
    /// Empty, or the exception text when the env raised inside `step`.
    public var error: String

    public init(env: UInt32, episodeReturn: Float, length: UInt32, success: Bool, truncated: Bool, lastCaption: String, error: String) {
        self.env = env
        self.episodeReturn = episodeReturn
        self.length = length
        self.success = success
        self.truncated = truncated
        self.lastCaption = lastCaption
        self.error = error
    }
}

/// Server → worker: the step's observations, rewards and ends, and the finished episodes.
public struct EnvStepResult: WirePayload {
    public static let kind = MessageKind.envStepResult
    public var sequence: UInt64
    /// glyphs, crop, blstats, caption, caption_length, reward, done, truncated (docs/wire-protocol.md).
    public var arrays: [NamedArray]
    public var episodes: [EnvEpisode]

    public init(sequence: UInt64, arrays: [NamedArray], episodes: [EnvEpisode]) {
        self.sequence = sequence
        self.arrays = arrays
        self.episodes = episodes
    }

    public var encodedSizeHint: Int { arrays.reduce(128) { $0 + $1.bytes.count + 48 } + 64 * episodes.count }

    public func encode(into w: inout ByteWriter) {
        w.write(sequence)
        w.writeList(arrays) { w, a in w.writeArray(a) }
        w.writeList(episodes) { w, e in
            w.write(e.env)
            w.write(e.episodeReturn)
            w.write(e.length)
            w.write(UInt8(e.success ? 1 : 0))
            w.write(UInt8(e.truncated ? 1 : 0))
            w.write(e.lastCaption)
            w.write(e.error)
        }
    }

    public init(from r: inout ByteReader) throws {
        sequence = try r.read(UInt64.self, "sequence")
        arrays = try ArrayTable(&r).arrays.map { $0.copy() }
        // Smallest episode: 4 + 4 + 4 + 1 + 1 + two empty strings (8).
        episodes = try r.readList("episode count", minimumItemBytes: 22) { r, _ in
            let env = try r.read(UInt32.self, "episode env")
            let ret = try r.readFloat("episode return")
            let length = try r.read(UInt32.self, "episode length")
            let success = try r.read(UInt8.self, "episode success")
            let truncated = try r.read(UInt8.self, "episode truncated")
            guard success <= 1, truncated <= 1 else { throw WireError.invalidValue(field: "episode flags", detail: "must be 0 or 1") }
            return EnvEpisode(env: env, episodeReturn: ret, length: length, success: success == 1, truncated: truncated == 1,
                              lastCaption: try r.readString("episode last_caption"), error: try r.readString("episode error"))
        }
    }
}

/// Worker → server: close the envs (the server replies with an empty EnvStepResult).
public struct EnvClose: SequenceOnlyPayload {
    public static let kind = MessageKind.envClose
    public var sequence: UInt64
    public init(sequence: UInt64) { self.sequence = sequence }
}

/// Anyone → server: describe the envs without touching them (no reset, no ownership); the server
/// replies with an EnvSpec without observations. For a learner that asks a server's spec while a
/// worker steps it.
public struct EnvDescribe: SequenceOnlyPayload {
    public static let kind = MessageKind.envDescribe
    public var sequence: UInt64
    public init(sequence: UInt64) { self.sequence = sequence }
}

/// A request whose payload is its sequence number alone (`EnvClose`, `EnvDescribe`).
public protocol SequenceOnlyPayload: WirePayload {
    var sequence: UInt64 { get }
    init(sequence: UInt64)
}

extension SequenceOnlyPayload {
    public func encode(into w: inout ByteWriter) { w.write(sequence) }
    public init(from r: inout ByteReader) throws { self.init(sequence: try r.read(UInt64.self, "sequence")) }
}

/// Server → worker: the request could not be served.
public struct EnvError: WirePayload {
    public static let kind = MessageKind.envError
    public var sequence: UInt64
    public var message: String
    public init(sequence: UInt64, message: String) {
        self.sequence = sequence
        self.message = message
    }
    public func encode(into w: inout ByteWriter) {
        w.write(sequence)
        w.write(message)
    }
    public init(from r: inout ByteReader) throws {
        sequence = try r.read(UInt64.self, "sequence")
        message = try r.readString("message")
    }
}
