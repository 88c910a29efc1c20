import Foundation
import YendorSupport

/// The roles' two clocks.
///
/// `now` is monotonic: every timeout, interval and rate (a peer's silence, the leave timeout, SPS,
/// the checkpoint interval) is measured on it, so a step of the wall clock (NTP stepping a node's
/// time, a VM resumed after a pause) neither times every peer out at once nor keeps a dead one
/// alive for the size of the step. The wall clock is only for what leaves the process as a time
/// of day: metrics records' `time` and the time stamps of Heartbeats and Stats.
enum Clock {
    /// Seconds since an arbitrary origin in this process, never going back (`MonotonicClock`).
    static var now: Double { MonotonicClock.seconds }
    /// Wall-clock seconds since 1970.
    static var wallTime: Double { Date().timeIntervalSince1970 }
    /// Wall-clock nanoseconds since 1970 (the wire's time stamps).
    static var wallNanos: UInt64 { UInt64(Date().timeIntervalSince1970 * 1e9) }
}
