/// Why a replay-buffer call or a checkpoint failed. Every case names what was wrong.
public enum ReplayError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration field out of range; `field` is its path, e.g. `rateLimiter.errorBuffer`.
    case invalidConfiguration(field: String, reason: String)
    /// A priority that is not a finite number above zero; `key` is nil at insert time.
    case invalidPriority(key: UInt64?, value: Double)
    /// The checkpoint file could not be read or written (missing, permissions, disk full).
    case checkpointIO(file: String, reason: String)
    /// The checkpoint file's bytes are not a valid checkpoint (truncated, bad checksum, bad magic).
    case corruptCheckpoint(file: String, reason: String)
    /// A valid checkpoint that does not fit the configuration it is being loaded with.
    case incompatibleCheckpoint(file: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let field, let reason):
            return "replay configuration: \(field): \(reason)"
        case .invalidPriority(let key, let value):
            let item = key.map { "item \($0)" } ?? "new item"
            return "replay priority for \(item) is \(value); priorities must be finite and above zero"
        case .checkpointIO(let file, let reason):
            return "replay checkpoint \(file): \(reason)"
        case .corruptCheckpoint(let file, let reason):
            return "replay checkpoint \(file) is corrupt: \(reason)"
        case .incompatibleCheckpoint(let file, let reason):
            return "replay checkpoint \(file) does not fit the configuration: \(reason)"
        }
    }
}
