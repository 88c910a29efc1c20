/// Pauses calls to a server that is down, and probes it back.
///
/// Closed: calls pass; `failureThreshold` consecutive failures open it. Open: callers wait
/// until `cooldown` has passed, then one caller goes through as a probe (half-open) while
/// the others keep waiting. A successful probe closes the breaker; a failed one opens it for
/// another cooldown. So a dead server sees one request per cooldown, not a storm of retries.
public actor CircuitBreaker {
    public struct Configuration: Sendable, Hashable {
        /// Consecutive failures (timeouts, connection errors, 5xx) that open the breaker.
        public var failureThreshold: Int = 5
        /// How long the breaker stays open before a probe is let through.
        public var cooldown: Duration = .seconds(5)

        public init(failureThreshold: Int = 5, cooldown: Duration = .seconds(5)) {
            self.failureThreshold = failureThreshold
            self.cooldown = cooldown
        }
    }

    public enum State: Sendable, Equatable {
        case closed
        case open
        case halfOpen
    }

    private enum Phase {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case probing
    }

    private let configuration: Configuration
    private var phase = Phase.closed(failures: 0)
    /// How many times the breaker has opened (closed -> open, not probe failures).
    public private(set) var openings = 0
    /// How many times a probe succeeded and closed the breaker.
    public private(set) var closings = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public var state: State {
        switch phase {
        case .closed: .closed
        case .open: .open
        case .probing: .halfOpen
        }
    }

    /// Waits until a call may proceed. Throws only on task cancellation.
    public func acquire() async throws {
        while true {
            switch phase {
            case .closed:
                return
            case .open(let until):
                if ContinuousClock.now >= until {
                    phase = .probing
                    return
                }
                try await Task.sleep(until: until, clock: .continuous)
            case .probing:
                // Poll: the probe's outcome arrives within one request timeout.
                try await Task.sleep(for: min(configuration.cooldown, .milliseconds(50)))
            }
        }
    }

    /// A change a call's outcome made, for the caller to log.
    public enum Transition: Sendable, Equatable {
        /// `failureThreshold` calls in a row failed: calls wait, one probe per `cooldown`.
        case opened
        /// A probe succeeded: calls flow again.
        case closed
    }

    /// Reports the outcome of a call that `acquire` let through. `serverAlive` is true for an
    /// answer a later call can do better than (2xx, 429, a malformed body); false for timeouts,
    /// refusals, 5xx, and a 4xx other than 429 (a wrong model or key fails every call alike).
    @discardableResult
    public func record(serverAlive: Bool) -> Transition? {
        switch (phase, serverAlive) {
        case (.probing, true):
            phase = .closed(failures: 0)
            closings += 1
            return .closed
        case (.probing, false):
            phase = .open(until: .now + configuration.cooldown)
        case (.closed, true):
            phase = .closed(failures: 0)
        case (.closed(let failures), false):
            if failures + 1 >= configuration.failureThreshold {
                phase = .open(until: .now + configuration.cooldown)
                openings += 1
                return .opened
            }
            phase = .closed(failures: failures + 1)
        case (.open, _):
            break  // a call that started before the breaker opened; its news is stale
        }
        return nil
    }
}
