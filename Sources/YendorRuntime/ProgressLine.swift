import Foundation
import Logging

/// Progress for humans: a live line redrawn in place when stderr is a terminal, plain periodic log
/// lines otherwise (CI logs, Slurm output files).
public struct ProgressLine: Sendable {
    /// Whether stderr is a terminal.
    public let interactive: Bool
    private let logger: Logger
    /// Where the live line is drawn (stderr's, which the log lines go around).
    private let live: LiveLine

    public init(logger: Logger, interactive: Bool = isatty(STDERR_FILENO) == 1, live: LiveLine = .standardError) {
        self.logger = logger
        self.interactive = interactive
        self.live = live
    }

    public struct Snapshot: Sendable {
        public var steps: UInt64
        public var budget: UInt64
        public var sps: Double
        public var episodes: Int
        /// The episodes `meanReturn` and `successRate` are over (the last 200 received; a resume
        /// goes on from the window its checkpoint saved, 0 from an older checkpoint until one ends).
        public var recentEpisodes: Int
        public var meanReturn: Double
        /// nil for a task that cannot be won: the line says nothing of success.
        public var successRate: Double?
        public var policyLag: Double
        /// The part of the samples taken in since the last line that was dropped as too stale.
        public var staleShare: Double = 0
        public var workers: Int
    }

    public func show(_ s: Snapshot) {
        let text = Self.line(s)
        if interactive {
            live.draw(text)
        } else {
            logger.info("\(text)")
        }
    }

    /// The line `show` prints for `s`.
    static func line(_ s: Snapshot) -> String {
        let pct = s.budget > 0 ? Double(s.steps) / Double(s.budget) * 100 : 0
        // No rate yet, or no worker left to keep one up: no ETA either ("?", not 0m0s, nor the
        // 5,510 h that the last workers' leaving made of the interval's rate).
        let eta = s.budget <= s.steps ? "0m0s" : s.sps > 0 && s.workers > 0 ? ProgressLine.duration(Double(s.budget - s.steps) / s.sps) : "?"
        // String(format:) with %@ is unreliable on Linux: only numbers go through it.
        let text = "steps \(ProgressLine.short(Double(s.steps)))/\(ProgressLine.short(Double(s.budget)))"
            + String(format: " (%.0f%%)", pct) + "  \(ProgressLine.short(s.sps)) SPS  episodes \(s.episodes)"
            // Before the first episode ends there is no return or success rate ("-", not 0).
            + (s.recentEpisodes > 0 ? String(format: "  return %.2f", s.meanReturn) : "  return -")
            + (s.successRate.map { s.recentEpisodes > 0 ? String(format: "  success %.1f%%", $0 * 100) : "  success -" } ?? "")
            + String(format: "  lag %.1f", s.policyLag)
            // Said only when it happens: SPS counts what is then not trained on.
            + (s.staleShare >= 0.005 ? String(format: " (%.0f%% too stale)", s.staleShare * 100) : "")
            + "  workers \(s.workers)  ETA \(eta)"
        return text
    }

    /// Ends the live line so later output starts on a fresh line.
    public func finish() {
        if interactive { live.end() }
    }

    static func short(_ v: Double) -> String {
        switch v {
        case 1e9...: return String(format: "%.2fG", v / 1e9)
        case 1e6...: return String(format: "%.2fM", v / 1e6)
        case 1e4...: return String(format: "%.1fK", v / 1e3)
        default: return String(format: "%.0f", v)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(min(seconds, 1e9))  // a tiny rate gives a huge ETA; Int(inf) would trap
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : "\(s / 60)m\(s % 60)s"
    }
}
