import Foundation
import Synchronization

/// A line a terminal shows redrawn in place (the learner's progress), and the log lines written
/// around it: a log line clears it first and draws it again after, instead of landing on its end.
public final class LiveLine: Sendable {
    /// stderr's: one per process, as stderr is.
    public static let standardError = LiveLine { FileHandle.standardError.write(Data($0.utf8)) }

    private let output: @Sendable (String) -> Void
    /// The text on screen now, if any.
    private let drawn = Mutex<String?>(nil)
    private static let clear = "\r\u{1B}[2K"

    public init(output: @escaping @Sendable (String) -> Void) { self.output = output }

    /// Replaces the line on screen with `text`.
    public func draw(_ text: String) {
        drawn.withLock { line in
            line = text
            output(Self.clear + text)
        }
    }

    /// Leaves the line on screen as it is and moves on to a fresh one.
    public func end() {
        drawn.withLock { line in
            if line != nil { output("\n") }
            line = nil
        }
    }

    /// Runs `write` (a log line to the same terminal) with the line cleared first and drawn again after.
    public func interleave(_ write: () -> Void) {
        drawn.withLock { line in
            if line != nil { output(Self.clear) }
            write()
            if let line { output(Self.clear + line) }
        }
    }
}
