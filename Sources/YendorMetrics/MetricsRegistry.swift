import CoreMetrics
import Histogram
import Synchronization

/// A role's metrics: the swift-metrics backend its components record into, and the one place the
/// role's metrics file, TensorBoard log, `Stats` messages and status line read them from.
///
/// Components receive the registry (as they receive a `Logger`) and make their counters, gauges
/// and timers with `factory: registry` and report their figures there (a few also keep a count
/// they need themselves, such as totals a checkpoint carries). Every handle is also made in
/// `forwarding` (by default the process's `MetricsSystem` backend, which is swift-prometheus when
/// the role serves `/metrics`, and a no-op otherwise) with the registry's dimensions added
/// (`role`, and e.g. `worker`), so a Prometheus scrape sees the same values.
///
/// One label is one metric of one kind: a registry returns the existing handle for a label made
/// again, and refuses (preconditions) a label made as another kind, so names stay unique.
///
/// A handle made with dimensions of its own (`Gauge(label:dimensions:factory:)`) is one series of a
/// family, such as the learner's view of each worker: forwarded with those dimensions, read back
/// with `value(_:dimensions:)`, left out of `snapshot()` (a record holds the role's own figures,
/// one per label), and removed, here and downstream, when it is destroyed (a worker that left).
public final class MetricsRegistry: MetricsFactory, Sendable {
    /// What a label records; each kind reads back as one number (timers as three percentiles).
    public enum Kind: String, Sendable {
        /// Only grows while the role runs (`Counter`, `FloatingPointCounter`).
        case counter
        /// The latest value set or recorded (`Gauge`, `Meter`, `Recorder`).
        case gauge
        /// Durations, read as `<label>_p50_seconds`, `_p90_` and `_p99_`, over all recorded.
        case timer
    }

    /// Where handles are also made.
    public enum Forwarding: Sendable {
        /// The process's bootstrapped backend (`MetricsSystem.factory`), read when a handle is made,
        /// so a backend bootstrapped after the registry was made still gets every later handle.
        case processBackend
        /// This backend.
        case to(any MetricsFactory)
        /// Nowhere: the registry only.
        case none
    }

    /// The dimensions added to every handle forwarded, e.g. `[("role", "learner")]`.
    public let dimensions: [(String, String)]
    private let forwarding: Forwarding
    private let state = Mutex(State())

    private struct State {
        /// Series of the same label are separate entries; the role's own metrics have no dimensions.
        var entries: [Key: Entry] = [:]
        var kinds: [String: Kind] = [:]
    }

    struct Key: Hashable {
        let label: String
        /// The handle's own dimensions' names and values, in the order given.
        let names: [String]
        let values: [String]
        init(_ label: String, _ dimensions: [(String, String)] = []) {
            self.label = label
            self.names = dimensions.map(\.0)
            self.values = dimensions.map(\.1)
        }
        var dimensions: [(String, String)] { Array(zip(names, values)) }
    }

    /// - Parameters:
    ///   - dimensions: added to every forwarded handle (the registry keys the role's own metrics
    ///     by label only: it holds one role's metrics).
    ///   - forwarding: where handles are also made.
    public init(dimensions: [(String, String)] = [], forwarding: Forwarding = .processBackend) {
        self.dimensions = dimensions
        self.forwarding = forwarding
    }

    /// A registry for `role`, with `role` as its first dimension.
    public convenience init(role: String, dimensions: [(String, String)] = [], forwarding: Forwarding = .processBackend) {
        self.init(dimensions: [("role", role)] + dimensions, forwarding: forwarding)
    }

    private var downstream: (any MetricsFactory)? {
        switch forwarding {
        case .processBackend: MetricsSystem.factory
        case .to(let factory): factory
        case .none: nil
        }
    }

    // MARK: Reading

    /// Every metric's current value, sorted by name; timers as their three percentiles in seconds.
    /// A gauge never set and a timer that timed nothing are left out: they have no value yet, and a
    /// 0 would read as one (a mean return of 0 at step 0). A counter that never counted is 0.
    public func snapshot() -> [(name: String, value: Double)] {
        let all = state.withLock { $0.entries }
        var values: [(name: String, value: Double)] = []
        for (key, entry) in all where key.names.isEmpty && (entry.kind == .counter || entry.hasValue) {
            let label = key.label
            switch entry.kind {
            case .counter, .gauge: values.append((label, entry.value))
            case .timer:
                for (suffix, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)] {
                    values.append(("\(label)_\(suffix)_seconds", entry.percentile(p)))
                }
            }
        }
        return values.sorted { $0.name < $1.name }
    }

    /// The current value of the counter or gauge `label`, or nil if nothing made it.
    public func value(_ label: String) -> Double? {
        value(label, dimensions: [])
    }

    /// The current value of the series of `label` with these dimensions of its own, or nil if none.
    public func value(_ label: String, dimensions: [(String, String)]) -> Double? {
        state.withLock { $0.entries[Key(label, dimensions)] }.map(\.value)
    }

    /// The current value of `label`, 0 if nothing made it (a counter that was never made never counted).
    public subscript(_ label: String) -> Double { value(label) ?? 0 }

    /// The dimensions of every series of `label` there is now (not the role's own metric of that label).
    public func series(_ label: String) -> [[(String, String)]] {
        state.withLock { $0.entries.keys }.filter { $0.label == label && !$0.names.isEmpty }.map(\.dimensions)
    }

    /// Labels and their kinds, sorted.
    public var labels: [(label: String, kind: Kind)] {
        state.withLock { $0.kinds }.map { ($0.key, $0.value) }.sorted { $0.label < $1.label }
    }

    // MARK: MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        Handle(entry(label, dimensions, .counter), downstream?.makeCounter(label: label, dimensions: self.dimensions + dimensions))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> FloatingPointCounterHandler {
        Handle(entry(label, dimensions, .counter),
               downstream?.makeFloatingPointCounter(label: label, dimensions: self.dimensions + dimensions))
    }

    // Gauges and timers are made downstream at their first value, not before: a backend shows a
    // handle as 0 from the moment it exists (a scrape said success rate 0 for a task without one).

    public func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        let all = self.dimensions + dimensions
        guard let next = downstream else { return Handle(entry(label, dimensions, .gauge), nil) }
        return Handle(entry(label, dimensions, .gauge)) { next.makeMeter(label: label, dimensions: all) }
    }

    /// Recorders read back as their latest value, aggregating or not.
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        let all = self.dimensions + dimensions
        guard let next = downstream else { return Handle(entry(label, dimensions, .gauge), nil) }
        return Handle(entry(label, dimensions, .gauge)) { next.makeRecorder(label: label, dimensions: all, aggregate: aggregate) }
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        let all = self.dimensions + dimensions
        guard let next = downstream else { return Handle(entry(label, dimensions, .timer), nil) }
        return Handle(entry(label, dimensions, .timer)) { next.makeTimer(label: label, dimensions: all) }
    }

    // The role's own metrics live as long as the role: destroying their handles keeps the last
    // value. A series (a handle with dimensions of its own) goes, here and downstream.
    public func destroyCounter(_ handler: CounterHandler) {
        destroy(handler) { ($0 as? CounterHandler).map { self.downstream?.destroyCounter($0) } }
    }
    public func destroyMeter(_ handler: MeterHandler) {
        destroy(handler) { ($0 as? MeterHandler).map { self.downstream?.destroyMeter($0) } }
    }
    public func destroyFloatingPointCounter(_ handler: FloatingPointCounterHandler) {
        destroy(handler) { ($0 as? FloatingPointCounterHandler).map { self.downstream?.destroyFloatingPointCounter($0) } }
    }
    public func destroyRecorder(_ handler: RecorderHandler) {
        destroy(handler) { ($0 as? RecorderHandler).map { self.downstream?.destroyRecorder($0) } }
    }
    public func destroyTimer(_ handler: TimerHandler) {
        destroy(handler) { ($0 as? TimerHandler).map { self.downstream?.destroyTimer($0) } }
    }

    private func destroy(_ handler: Any, downstream destroyNext: (any Sendable & AnyObject) -> Void) {
        guard let handle = handler as? Handle, !handle.entry.key.names.isEmpty else { return }
        state.withLock { state in
            if state.entries[handle.entry.key] === handle.entry { state.entries[handle.entry.key] = nil }
        }
        if let next = handle.downstreamToDestroy { destroyNext(next) }
    }

    private func entry(_ label: String, _ dimensions: [(String, String)], _ kind: Kind) -> Entry {
        let key = Key(label, dimensions)
        return state.withLock { state in
            if let existing = state.kinds[label] {
                precondition(existing == kind, "metric \(label) made as a \(kind) but it is a \(existing)")
            }
            state.kinds[label] = kind
            if let existing = state.entries[key] { return existing }
            let made = Entry(key: key, kind: kind)
            state.entries[key] = made
            return made
        }
    }
}

extension MetricsRegistry {
    /// One metric's value (and, for a timer, its durations).
    final class Entry: Sendable {
        let key: Key
        let kind: Kind
        private let state = Mutex<State>(State())

        private struct State {
            var value = 0.0
            /// Whether anything was ever recorded (set, added, timed).
            var hasValue = false
            var durations: Histogram<UInt64>?
        }

        /// Microseconds up to an hour, three significant digits (as the annotator's latency window).
        private static let highestMicroseconds: UInt64 = 3_600_000_000

        init(key: Key, kind: Kind) {
            self.key = key
            self.kind = kind
        }

        var value: Double { state.withLock { $0.value } }
        var hasValue: Bool { state.withLock { $0.hasValue } }

        func add(_ amount: Double) { state.withLock { $0.value += amount; $0.hasValue = true } }
        func set(_ value: Double) { state.withLock { $0.value = value; $0.hasValue = true } }

        func record(nanoseconds: Int64) {
            let micros = min(UInt64(max(nanoseconds, 0)) / 1000, Self.highestMicroseconds)
            state.withLock { s in
                if s.durations == nil {
                    s.durations = Histogram(highestTrackableValue: Self.highestMicroseconds, numberOfSignificantValueDigits: .three)
                }
                _ = s.durations?.record(micros)
                s.value = Double(micros) / 1e6
                s.hasValue = true
            }
        }

        func percentile(_ p: Double) -> Double {
            state.withLock { s in s.durations.map { Double($0.valueAtPercentile(p)) / 1e6 } ?? 0 }
        }
    }

    /// Every kind of handle over one entry, forwarding to the downstream backend's handle if any,
    /// made when the handle is (counters) or at the first value (`later`: gauges and timers).
    final class Handle: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler, Sendable {
        typealias Downstream = (any Sendable & AnyObject)?
        let entry: Entry
        private let made: Downstream
        private let make: (@Sendable () -> Downstream)?
        /// The handle `make` made, once a value came; read without a lock on every later record.
        private let madeLater = AtomicLazyReference<Made>()
        private final class Made: Sendable {
            let next: Downstream
            init(_ next: Downstream) { self.next = next }
        }

        init(_ entry: Entry, _ next: Downstream) {
            self.entry = entry
            self.made = next
            self.make = nil
        }

        init(_ entry: Entry, later make: @escaping @Sendable () -> Downstream) {
            self.entry = entry
            self.made = nil
            self.make = make
        }

        /// What a destroy passes on: the downstream handle, asked for again if this handle never
        /// recorded (a backend returns the existing metric for a label and dimensions made before).
        var downstreamToDestroy: Downstream {
            guard let make else { return made }
            return madeLater.load()?.next ?? make()
        }

        /// Two threads recording the first value at once may both call `make`: a backend returns
        /// the same metric for the same label, and one of the two is kept.
        private var next: Downstream {
            guard let make else { return made }
            if let later = madeLater.load() { return later.next }
            return madeLater.storeIfNil(Made(make())).next
        }

        func increment(by amount: Int64) {
            entry.add(Double(amount))
            (next as? CounterHandler)?.increment(by: amount)
        }

        // A floating-point counter's and a meter's increment share this signature.
        func increment(by amount: Double) {
            guard amount.isFinite else { return }
            if entry.kind == .counter {
                guard amount > 0 else { return }
                entry.add(amount)
                (next as? FloatingPointCounterHandler)?.increment(by: amount)
            } else {
                entry.add(amount)
                (next as? MeterHandler)?.increment(by: amount)
            }
        }

        func decrement(by amount: Double) {
            entry.add(-amount)
            (next as? MeterHandler)?.decrement(by: amount)
        }

        // Counters never go back: a reset only clears what the downstream backend shows.
        func reset() {
            (next as? CounterHandler)?.reset()
            (next as? FloatingPointCounterHandler)?.reset()
        }

        func set(_ value: Int64) { set(Double(value)) }

        func set(_ value: Double) {
            entry.set(value)
            (next as? MeterHandler)?.set(value)
        }

        func record(_ value: Int64) { record(Double(value)) }

        func record(_ value: Double) {
            entry.set(value)
            (next as? RecorderHandler)?.record(value)
        }

        func recordNanoseconds(_ duration: Int64) {
            entry.record(nanoseconds: duration)
            (next as? TimerHandler)?.recordNanoseconds(duration)
        }
    }
}
