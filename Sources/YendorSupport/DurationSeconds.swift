extension Duration {
    /// The duration in seconds as a Double (for URLRequest timeouts, JSON and metrics).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension Duration {
    /// `seconds` as a Duration, clamped like `milliseconds(clamping:)`: values from users and peers
    /// (`inf`, `1e300`, a `Retry-After` header) would make `.seconds(_:)` or an integer conversion trap.
    public static func seconds(clamping seconds: Double) -> Duration {
        .milliseconds(Int64(milliseconds(clamping: seconds)))
    }

    /// Whole milliseconds in `seconds`, clamped to 0...Int32.max (about 24.8 days; NaN gives 0), the
    /// range of libzmq's and poll's C int timeouts.
    public static func milliseconds(clamping seconds: Double) -> Int {
        guard seconds > 0 else { return 0 }
        return Int(min((seconds * 1000).rounded(), Double(Int32.max)))
    }
}

extension Duration {
    /// `seconds` to the microsecond, clamped to 0...1e9 s (NaN gives 0): for durations read back
    /// from files a peer or a person may have written (a stored label's latency).
    public static func microseconds(clampingSeconds seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }
        return .microseconds(Int64(min(seconds, 1e9) * 1_000_000))
    }
}
