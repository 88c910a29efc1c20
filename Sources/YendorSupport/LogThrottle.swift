/// Rate limit for log lines that a peer can cause at any rate (dropped frames, failing envs): the
/// first line for a key is logged, then at most one per `interval` seconds with the number of lines
/// not logged in between, so a flood of bad input cannot flood the log.
public struct LogThrottle: Sendable {
    public let interval: Double
    private var last: [String: (time: Double, suppressed: Int)] = [:]

    public init(interval: Double = 10) { self.interval = interval }

    /// The number of lines suppressed since the last one for `key` (so the caller can say so), or nil
    /// when this one is not to be logged.
    public mutating func shouldLog(_ key: String, now: Double) -> Int? {
        if let entry = last[key], now - entry.time < interval {
            last[key] = (entry.time, entry.suppressed + 1)
            return nil
        }
        let suppressed = last[key]?.suppressed ?? 0
        if last.count > 4096 { last.removeAll() }
        last[key] = (now, 0)
        return suppressed
    }

    /// The lines suppressed for `key` since the last one logged, and forgets the key, so that the
    /// count can be said when what caused them ends (and the next line for it is logged at once).
    public mutating func flush(_ key: String) -> Int {
        last.removeValue(forKey: key)?.suppressed ?? 0
    }
}
