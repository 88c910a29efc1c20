import Foundation

/// Wall-clock seconds, for heartbeats, intervals and metrics.
enum Clock {
    static var now: Double { Date().timeIntervalSince1970 }
    static var nanos: UInt64 { UInt64(Date().timeIntervalSince1970 * 1e9) }
}
