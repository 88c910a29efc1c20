/// Seconds on a clock that never goes back, for timeouts, intervals and log throttles: a step of
/// the wall clock (NTP stepping a node's time, a VM resumed after a pause) must neither expire
/// every one of them at once nor stretch them by the size of the step.
public enum MonotonicClock {
    private static let origin = ContinuousClock.now

    /// Seconds since an arbitrary origin in this process (the first reading), never negative.
    public static var seconds: Double {
        let start = origin  // set first, so the first reading is not before it
        return (ContinuousClock.now - start).seconds
    }
}
