/// Exponential backoff with jitter: attempt n waits initial * 2^n, capped at maximum, scaled
/// by a random factor in [1 - jitter, 1 + jitter] so many clients do not retry in lockstep.
/// A server's Retry-After, when present, replaces the computed delay.
public struct Backoff: Sendable, Hashable {
    /// Delay before the first retry.
    public var initial: Duration
    /// Upper bound on a computed delay (before jitter).
    public var maximum: Duration
    /// Relative jitter in [0, 1].
    public var jitter: Double

    public init(initial: Duration, maximum: Duration, jitter: Double) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The wait before retry number `retry` (0-based); `unit` is a uniform draw in [0, 1).
    public func delay(retry: Int, retryAfter: Duration?, unit: Double) -> Duration {
        if let retryAfter { return max(retryAfter, .zero) }
        let scale = Double(1 << min(retry, 30))
        let base = min(initial * scale, maximum)
        return base * (1 + jitter * (2 * unit - 1))
    }
}
