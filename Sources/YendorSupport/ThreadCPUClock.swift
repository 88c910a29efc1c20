import Foundation

/// The CPU time the calling thread has used: what a piece of synchronous work costs, whatever else
/// shares the cores (its wall time also counts the waits for a core).
public enum ThreadCPUClock {
    /// Nanoseconds of CPU time the calling thread has used so far.
    public static var nanos: UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}
