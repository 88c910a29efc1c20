import DequeModule
import Logging
import YendorMetrics
import Synchronization
import YendorSupport

/// The annotator's core, without sockets: dedup, a bounded queue, batching to a labeler,
/// the label store, and delivery of results to subscribers.
///
/// Clients call `submit`; labels already in the store come back at once in the receipt,
/// requests already pending are not queued twice, the rest wait in a bounded queue. When
/// the queue is full the oldest pending request is dropped (newest requests are the most
/// relevant to the current policy, as in ONI) and counted; labels already stored are never
/// lost. Batches go to the labeler with bounded concurrency; each answer is written to the
/// store as soon as the labeler hands it over (not when its whole batch is done) and before it
/// is published to subscribers (`results()`), so an answer received survives a crash and a
/// slow item never holds the others. Items that failed are asked again after a delay
/// (`retryBackoff`); only the model's well-formed non-answer, `maxAnswerAttempts` times,
/// is ever stored as a final failure. The role (`yendor annotator`) maps ROUTER requests to
/// `submit` and publishes `results()` on PUB; `lookup` only inspects (tests use it).
public actor Annotator {
    public struct Configuration: Sendable, Hashable {
        /// Pending requests kept at most (waiting for the labeler, or for their retry delay);
        /// when full, the oldest pending request is dropped (items waiting to be retried first).
        public var queueCapacity: Int = 10_000
        /// Requests per labeler call.
        public var batchSize: Int = 16
        /// Labeler calls in flight at once.
        public var maxConcurrentBatches: Int = 4
        /// Times the model may give a well-formed answer without a label (`no_label`) before the
        /// item is stored as `unlabelable` and never asked again. The attempts are spread over
        /// time by `retryBackoff`. Transient failures (timeouts, 5xx, 429, resets, malformed
        /// JSON) never count here.
        public var maxAnswerAttempts: Int = 3
        /// Times an item may fail transiently (timeouts, 5xx, ...) after the labeler's own
        /// retries before it is given up for now (not stored: a later submit asks again).
        public var maxTransientAttempts: Int = 10
        /// Delay before an item that failed (no label, or a transient failure after the
        /// labeler's own retries) is asked again: `initial * 2^(n-1)` after its n-th failure of
        /// that sort, capped at `maximum`, times a random factor in `[1 - jitter, 1 + jitter]`.
        public var retryBackoff = Backoff(initial: .seconds(5), maximum: .seconds(300), jitter: 0.5)
        /// On `shutdown()`, how long labeler calls in flight may still run to deliver answers
        /// already on their way; then they are cancelled. Answers received are stored either way;
        /// items cancelled are not stored (nothing was received) and are asked again after a
        /// restart.
        public var shutdownGrace: Duration = .seconds(3)
        /// Results buffered per subscriber; a slow subscriber loses the oldest beyond this.
        public var subscriberBufferSize: Int = 4096
        /// Latencies the percentiles cover, at least (see `LatencyWindow`).
        public var latencySampleCapacity: Int = 1024
        /// Window over which `labelsPerSecond` is computed, in whole seconds.
        public var rateWindowSeconds: Int = 10
        /// Labels kept in memory while the label store refuses them (a full disk), written when it
        /// takes them again (`BufferedLabelStore`); beyond this the oldest are lost, counted in
        /// `annotator/labels_lost`. A stored label is ~0.3 KiB plus its raw answer.
        public var unstoredCapacity: Int = 100_000
        /// Seconds between attempts to store the labels waiting in memory when no new answer comes.
        public var storeRetryInterval: Duration = .seconds(5)

        public init() {}

        public func validate() throws(AnnotatorError) {
            let positive: [(String, Int)] = [
                ("queueCapacity", queueCapacity), ("batchSize", batchSize),
                ("maxConcurrentBatches", maxConcurrentBatches), ("maxAnswerAttempts", maxAnswerAttempts),
                ("maxTransientAttempts", maxTransientAttempts), ("subscriberBufferSize", subscriberBufferSize),
                ("latencySampleCapacity", latencySampleCapacity), ("rateWindowSeconds", rateWindowSeconds),
                ("unstoredCapacity", unstoredCapacity),
            ]
            for (field, value) in positive where value < 1 {
                throw .invalidConfiguration(field: field, reason: "must be >= 1, got \(value)")
            }
            if retryBackoff.initial < .zero || retryBackoff.maximum < retryBackoff.initial {
                throw .invalidConfiguration(field: "retryBackoff", reason: "need 0 <= initial <= maximum")
            }
            if !(0...1).contains(retryBackoff.jitter) {
                throw .invalidConfiguration(field: "retryBackoff.jitter", reason: "must be in [0, 1], got \(retryBackoff.jitter)")
            }
            if shutdownGrace < .zero { throw .invalidConfiguration(field: "shutdownGrace", reason: "must be >= 0") }
            if storeRetryInterval <= .zero { throw .invalidConfiguration(field: "storeRetryInterval", reason: "must be > 0") }
        }
    }

    /// What `submit` did with a batch of requests.
    public struct Receipt: Sendable, Hashable {
        /// Requests answered from the store at once, in request order.
        public var known: [LabelResult] = []
        /// Requests newly queued; their results arrive through `results()`.
        public var queued = 0
        /// Requests that were already pending or in flight; their results arrive as well.
        public var duplicates = 0
        /// Older pending requests dropped to make room (anyone's, not only this client's), oldest
        /// first; the role tells its clients with a `dropped` broadcast.
        public var evicted: [LabelRequest] = []
        /// How many older pending requests were dropped.
        public var dropped: Int { evicted.count }
    }

    /// The answer to a direct query.
    public enum QueryAnswer: Sendable, Hashable {
        case known(LabelResult)
        case pending
        case unknown

        /// The result when known.
        public var result: LabelResult? {
            if case .known(let result) = self { return result }
            return nil
        }
    }

    public nonisolated let identity: LabelerIdentity
    private let labeler: any Labeler
    /// The label store, with what it refused waiting in memory.
    private var store: BufferedLabelStore
    private let configuration: Configuration
    private let logger: Logger

    /// Requests waiting for the labeler, oldest first; with `delayed`, at most `queueCapacity`.
    private var queue: Deque<LabelRequest> = [] { didSet { recordQueueDepth() } }
    /// Items waiting for their retry delay, soonest due first; they count against
    /// `queueCapacity` together with `queue`.
    private var delayed: [(request: LabelRequest, due: ContinuousClock.Instant)] = [] { didSet { recordQueueDepth() } }
    /// Every request in `queue` or `delayed`.
    private var queued: Set<LabelRequest> = []
    /// The clients that asked for each request queued or in flight, so that a client that leaves
    /// takes its backlog with it (`withdraw`). Forgotten as a request is answered or dropped:
    /// left for a late sweep, they were most of the role's memory (~0.4 KiB a request, trial W).
    private var askers: [LabelRequest: Set<String>] = [:]
    /// Requests whose askers are remembered (tests check none outlives its request).
    var askerCount: Int { askers.count }
    private var inFlight: Set<LabelRequest> = [] { didSet { counters.inFlight.record(inFlight.count) } }
    /// Unusable answers and transient failures so far, for requests pending or in flight.
    private var attempts: [LabelRequest: (answer: Int, transient: Int)] = [:]
    /// Requests dropped while waiting to be retried (the queue was full when their delay ended),
    /// until `takeDropped()`: no receipt names them, so the role broadcasts them. At most
    /// `queueCapacity` are kept.
    private var untoldDrops: [LabelRequest] = []
    private var activeBatches = 0
    private var batchTasks: [Int: Task<Void, Never>] = [:]
    /// The latest answers' share without a label, so a model or prompt that mostly fails to
    /// answer in the format is said in the log, not only counted: its items end `unlabelable`.
    private var recentAnswers = (count: 0, noLabel: 0, example: "")
    private var lastNoLabelWarning: ContinuousClock.Instant?
    private static let noLabelWindow = 50
    /// Items whose answer the server cut at `max_tokens` before its label, answered so at once
    /// for as long as this annotator runs (the setting changes only with a restart); never stored.
    /// At most `queueCapacity`, oldest forgotten first.
    private var cutOff: [LabelRequest: LabelResult] = [:]
    private var cutOffOrder: Deque<LabelRequest> = []
    private var nextBatchID = 0
    private var stopping = false
    private var wakeTask: Task<Void, Never>?
    private var wakeAt: ContinuousClock.Instant?
    private var random = SplitMix64(seed: 0xA770)
    private var subscribers: [Int: AsyncStream<LabelResult>.Continuation] = [:]
    /// Streams from `results()` still open (tests wait for a subscriber before they submit).
    var subscriberCount: Int { subscribers.count }
    private var nextSubscriberID = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// Where the annotator's counters and gauges are recorded (`annotator/…`); the role
    /// (`AnnotatorServer`) records its own there too.
    public nonisolated let metrics: MetricsRegistry
    private let counters: AnnotatorMetrics
    private var latencies: LatencyWindow
    private var rate: RateMeter
    /// The next attempt to store the labels the store refused, when no answer comes meanwhile.
    private var storeRetry: Task<Void, Never>?

    public init(labeler: any Labeler, store: LabelStore, configuration: Configuration, logger: Logger,
                metrics: MetricsRegistry = MetricsRegistry(role: "annotator")) throws(AnnotatorError) {
        try configuration.validate()
        self.metrics = metrics
        counters = AnnotatorMetrics(registry: metrics)
        self.labeler = labeler
        self.identity = labeler.identity
        self.store = BufferedLabelStore(store: store, capacity: configuration.unstoredCapacity, counters: counters, logger: logger)
        self.configuration = configuration
        self.logger = logger
        latencies = LatencyWindow(window: configuration.latencySampleCapacity)
        rate = RateMeter(windowSeconds: configuration.rateWindowSeconds)
        queue.reserveCapacity(configuration.queueCapacity)
    }

    // MARK: - Clients

    /// Accepts requests: known labels come back in the receipt, the rest are queued (once).
    /// `client` names who asks (the role's clients; nil in process, whose requests are never
    /// withdrawn).
    public func submit(_ requests: [LabelRequest], client: String? = nil) -> Receipt {
        var receipt = Receipt()
        counters.submitted.increment(by: requests.count)
        guard !stopping else { return receipt }
        let stored = storedLabels(for: requests)
        for request in requests {
            if let known = stored[request] ?? cutOff[request] {
                counters.cacheHits.increment()
                receipt.known.append(known)
                continue
            } else if queued.contains(request) || inFlight.contains(request) {
                counters.duplicates.increment()
                receipt.duplicates += 1
            } else {
                if queue.count + delayed.count >= configuration.queueCapacity, let evicted = evictOldest() {
                    receipt.evicted.append(evicted)
                }
                queue.append(request)
                queued.insert(request)
                receipt.queued += 1
            }
            askers[request, default: []].insert(client ?? "")
        }
        if askers.count > 2 * (configuration.queueCapacity + inFlight.count) { pruneAskers() }
        if receipt.dropped > 0 {
            logger.debug("annotator queue full, dropped oldest", metadata: ["dropped": "\(receipt.dropped)"])
        }
        pump()
        return receipt
    }

    /// Answers direct queries without queueing anything.
    public func lookup(_ requests: [LabelRequest]) -> [QueryAnswer] {
        let stored = storedLabels(for: requests)
        return requests.map { request in
            if let known = stored[request] ?? cutOff[request] { return .known(known) }
            return queued.contains(request) || inFlight.contains(request) ? .pending : .unknown
        }
    }

    /// Takes the queued requests (not those at the labeler) that only `client` asked for out of
    /// the queue: a client that left (a finished run's learner) would otherwise have the labeler
    /// work through its backlog before anyone else's requests. Returns how many.
    @discardableResult
    public func withdraw(client: String) -> Int {
        var gone: Set<LabelRequest> = []
        for (request, clients) in askers where clients.contains(client) {
            if clients.count == 1 && queued.contains(request) { gone.insert(request) }
            askers[request]?.remove(client)
        }
        if !gone.isEmpty {
            queue.removeAll { gone.contains($0) }
            delayed.removeAll { gone.contains($0.request) }
            for request in gone {
                queued.remove(request)
                attempts[request] = nil
            }
            counters.withdrawn.increment(by: gone.count)
            resumeIdleWaitersIfIdle()
        }
        pruneAskers()
        return gone.count
    }

    /// Forgets who asked for `request` once it is neither queued nor in flight.
    private func forgetAskersIfDone(_ request: LabelRequest) {
        if !queued.contains(request) && !inFlight.contains(request) { askers[request] = nil }
    }

    /// Forgets the askers of requests no longer queued or in flight, and empty entries.
    private func pruneAskers() {
        askers = askers.filter { !$0.value.isEmpty && (queued.contains($0.key) || inFlight.contains($0.key)) }
    }

    /// Drops the oldest pending request to make room: one waiting for its retry (the one due
    /// last), else the front of the queue.
    private func evictOldest() -> LabelRequest? {
        let evicted = delayed.popLast()?.request ?? queue.popFirst()
        if let evicted {
            queued.remove(evicted)
            attempts[evicted] = nil
            forgetAskersIfDone(evicted)
            counters.dropped.increment()
        }
        return evicted
    }

    /// A stream of every result produced by the labeler from now on (not store hits, which
    /// `submit` returns directly). Bounded: a subscriber that falls more than
    /// `subscriberBufferSize` results behind loses the oldest; they remain in the store.
    public func results() -> AsyncStream<LabelResult> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: LabelResult.self, bufferingPolicy: .bufferingNewest(configuration.subscriberBufferSize))
        let id = nextSubscriberID
        nextSubscriberID += 1
        if stopping {
            continuation.finish()
        } else {
            subscribers[id] = continuation
            continuation.onTermination = { [weak self] _ in
                Task { await self?.removeSubscriber(id) }
            }
        }
        return stream
    }

    /// Brings the gauges that are computed, not counted, up to now: labels per second (which falls
    /// while no label arrives) and the latency percentiles. Readers call it before they read
    /// (the role before each `Stats`, the learner each second), so answers never pay for it.
    public func refreshGauges() {
        counters.labelsPerSecond.record(rate.rate())
        counters.latencyP50.record(latencies.percentile(0.50))
        counters.latencyP90.record(latencies.percentile(0.90))
        counters.latencyP99.record(latencies.percentile(0.99))
    }

    private func recordQueueDepth() { counters.queueDepth.record(queue.count + delayed.count) }

    /// Returns when nothing is queued or in flight.
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Stops taking requests and discards queued ones that never reached the labeler (clients
    /// send them again after a restart). Labeler calls in flight get `shutdownGrace` to deliver
    /// their answers, then are cancelled; every answer received is stored (and published) before
    /// this returns, and nothing cancelled is stored. Then every subscriber stream ends.
    public func shutdown() async {
        stopping = true
        labeler.stopSendingNewRequests()
        wakeTask?.cancel()
        wakeTask = nil
        while let request = queue.popFirst() {
            queued.remove(request)
            attempts[request] = nil
        }
        for item in delayed {
            queued.remove(item.request)
            attempts[item.request] = nil
        }
        delayed.removeAll()
        let tasks = Array(batchTasks.values)
        if !tasks.isEmpty {
            logger.info("annotator stopping: waiting for labeler calls in flight", metadata: [
                "items": "\(inFlight.count)", "grace_s": "\(configuration.shutdownGrace.seconds)"])
            let grace = configuration.shutdownGrace
            let cancelAfterGrace = Task {
                do { try await Task.sleep(for: grace) } catch { return }
                for task in tasks { task.cancel() }
            }
            for task in tasks { await task.value }
            cancelAfterGrace.cancel()
        }
        storeRetry?.cancel()
        storeRetry = nil
        store.close()
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
        resumeIdleWaitersIfIdle()
    }

    // MARK: - Batches

    private var isIdle: Bool { queue.isEmpty && delayed.isEmpty && activeBatches == 0 }

    /// Starts labeler calls while there is work and a free slot.
    private func pump() {
        while !stopping, activeBatches < configuration.maxConcurrentBatches, !queue.isEmpty {
            var batch: [LabelRequest] = []
            while batch.count < configuration.batchSize, let request = queue.popFirst() {
                queued.remove(request)
                inFlight.insert(request)
                batch.append(request)
            }
            activeBatches += 1
            let id = nextBatchID
            nextBatchID += 1
            let labeler = self.labeler, items = batch
            batchTasks[id] = Task {
                let answered = Mutex([Bool](repeating: false, count: items.count))
                await labeler.label(items) { answers in
                    let fresh = answered.withLock { answered in
                        answers.filter { answer in
                            guard answered.indices.contains(answer.index), !answered[answer.index] else { return false }
                            answered[answer.index] = true
                            return true
                        }
                    }
                    await self.record(fresh.map { (items[$0.index], $0.answer) })
                }
                let missing = answered.withLock { answered in items.indices.filter { !answered[$0] }.map { items[$0] } }
                self.finish(batch: id, missing: missing)
            }
        }
        resumeIdleWaitersIfIdle()
    }

    /// Keeps a cut-off answer for later submits of the same item: asking again would cost as
    /// much and be cut again, for as long as `max_tokens` stays what it is.
    private func rememberCutOff(_ request: LabelRequest, _ answer: LabelerAnswer) {
        if cutOff.updateValue(LabelResult(request: request, answer: answer, source: .store), forKey: request) == nil {
            cutOffOrder.append(request)
        }
        while cutOffOrder.count > configuration.queueCapacity, let oldest = cutOffOrder.popFirst() { cutOff[oldest] = nil }
    }

    /// Counts an answer towards the share without a label; warns (at most once a minute) when
    /// half or more of the last `noLabelWindow` answers had none.
    private func noteAnswer(_ answer: LabelerAnswer) {
        switch answer.outcome {
        case .labeled: recentAnswers.count += 1
        case .failed(.noLabel):
            recentAnswers.count += 1
            recentAnswers.noLabel += 1
            if recentAnswers.example.isEmpty { recentAnswers.example = String(answer.rawResponse.suffix(160)) }
        case .failed: return
        }
        guard recentAnswers.count >= Self.noLabelWindow else { return }
        let (count, noLabel, example) = recentAnswers
        recentAnswers = (0, 0, "")
        let now = ContinuousClock.now
        guard noLabel * 2 >= count, lastNoLabelWarning.map({ now - $0 >= .seconds(60) }) ?? true else { return }
        lastNoLabelWarning = now
        logger.warning("\(noLabel) of the last \(count) answers carried no label: check the model and its prompt (`yendor annotator evaluate`); such items are asked \(configuration.maxAnswerAttempts) times, then stored unlabelable for this model and prompt version", metadata: [
            "answer_end": "\(example)"])
    }

    private func finish(batch id: Int, missing: [LabelRequest]) {
        batchTasks[id] = nil
        activeBatches -= 1
        if !missing.isEmpty {
            logger.error("labeler returned no answer for some items", metadata: ["missing": "\(missing.count)"])
            record(missing.map { ($0, LabelerAnswer(outcome: .failed(.malformedResponse), rawResponse: "no answer from labeler", latency: .zero)) })
        }
        pump()
    }

    /// Handles answers as the labeler hands them over: stores final ones (one transaction),
    /// publishes them, and schedules the others to be asked again.
    private func record(_ answers: [(request: LabelRequest, answer: LabelerAnswer)]) {
        var toStore: [StoredLabel] = []
        var toPublish: [LabelResult] = []
        for (request, answer) in answers {
            guard inFlight.remove(request) != nil else { continue }
            var tries = attempts.removeValue(forKey: request) ?? (0, 0)
            let key = LabelKey(labeler: identity, request: request)
            func publish(_ outcome: LabelOutcome) {
                toPublish.append(LabelResult(request: request, answer: LabelerAnswer(outcome: outcome, rawResponse: answer.rawResponse,
                                                                                     latency: answer.latency), source: .labeler))
            }
            noteAnswer(answer)
            switch answer.outcome {
            case .labeled:
                latencies.record(seconds: answer.latency.seconds)
                toStore.append(StoredLabel(key: key, outcome: answer.outcome, rawResponse: answer.rawResponse,
                                           attempts: tries.answer + tries.transient + 1, latency: answer.latency))
                publish(answer.outcome)
            case .failed(let kind):
                counters.error(kind)
                if kind == .cancelled { continue }  // nothing received: not stored, asked again after a restart
                if kind.isAnswerError {
                    tries.answer += 1
                    if tries.answer >= configuration.maxAnswerAttempts {
                        // Final: stored so no run ever asks again.
                        counters.error(.unlabelable)
                        let outcome = LabelOutcome.failed(.unlabelable)
                        toStore.append(StoredLabel(key: key, outcome: outcome, rawResponse: answer.rawResponse,
                                                   attempts: tries.answer + tries.transient, latency: answer.latency))
                        publish(outcome)
                    } else if !stopping {
                        retryLater(request, tries: tries, failures: tries.answer)
                    }
                } else if kind.isTransient {
                    tries.transient += 1
                    if stopping { continue }
                    if tries.transient < configuration.maxTransientAttempts {
                        retryLater(request, tries: tries, failures: tries.transient)
                    } else {
                        publish(answer.outcome)  // given up for now: not stored, a later submit asks again
                    }
                } else {
                    publish(answer.outcome)  // e.g. the server rejects the request: not stored
                    if kind == .cutOff { rememberCutOff(request, answer) }
                }
            }
        }
        for (request, _) in answers { forgetAskersIfDone(request) }
        storeLabels(toStore)
        let labeledCount = toStore.count { $0.outcome.label != nil }
        counters.labeled.increment(by: labeledCount)
        rate.record(labeledCount)
        for result in toPublish {
            for continuation in subscribers.values { continuation.yield(result) }
        }
        if !stopping { pump() }
    }

    /// Stores `new` behind the labels the store refused before (`BufferedLabelStore`). While it
    /// refuses, they wait in memory (published all the same), and another attempt is made after
    /// `storeRetryInterval` if no answer comes first.
    private func storeLabels(_ new: [StoredLabel]) {
        guard !store.save(new), storeRetry == nil, !stopping else { return }
        let interval = configuration.storeRetryInterval
        storeRetry = Task { [weak self] in
            guard (try? await Task.sleep(for: interval)) != nil else { return }
            await self?.retryStore()
        }
    }

    private func retryStore() {
        storeRetry = nil
        storeLabels([])
    }

    /// Puts `request` aside until its retry delay has passed (the n-th failure of its sort
    /// waits `retryBackoff.delay(retry: n - 1)`), then at the front of the queue.
    private func retryLater(_ request: LabelRequest, tries: (answer: Int, transient: Int), failures: Int) {
        let delay = configuration.retryBackoff.delay(retry: failures - 1, retryAfter: nil, unit: random.unit())
        let due = ContinuousClock.now + delay
        if queue.count + delayed.count >= configuration.queueCapacity {
            // Full: the oldest pending request goes, and a retried item is among the oldest.
            dropUntold(request)
            return
        }
        attempts[request] = tries
        queued.insert(request)
        var low = 0, high = delayed.count  // first index due later than `due`
        while low < high {
            let middle = (low + high) / 2
            if delayed[middle].due > due { high = middle } else { low = middle + 1 }
        }
        delayed.insert((request, due), at: low)
        scheduleWake()
    }

    private func scheduleWake() {
        guard !stopping, let due = delayed.first?.due else { return }
        if wakeTask != nil, let wakeAt, wakeAt <= due { return }
        wakeTask?.cancel()
        wakeAt = due
        wakeTask = Task { [weak self] in
            guard (try? await Task.sleep(until: due, clock: .continuous)) != nil else { return }
            await self?.wake()
        }
    }

    /// Moves items whose delay has passed to the front of the queue (they are older than
    /// anything queued, so they are asked first and dropped first).
    private func wake() {
        wakeTask = nil
        wakeAt = nil
        guard !stopping else { return }
        let now = ContinuousClock.now
        let due = delayed.prefix { $0.due <= now }
        delayed.removeFirst(due.count)
        for item in due.reversed() {
            if queue.count < configuration.queueCapacity {
                queue.prepend(item.request)
            } else {
                queued.remove(item.request)
                attempts[item.request] = nil
                dropUntold(item.request)
            }
        }
        pump()
        scheduleWake()
    }

    private func dropUntold(_ request: LabelRequest) {
        forgetAskersIfDone(request)
        counters.dropped.increment()
        if untoldDrops.count < configuration.queueCapacity { untoldDrops.append(request) }
    }

    /// The requests dropped since the last call other than by `submit` (whose receipt names its
    /// evictions): whoever asked gets no label for them unless they ask again.
    public func takeDropped() -> [LabelRequest] {
        defer { untoldDrops.removeAll() }
        return untoldDrops
    }

    // MARK: - Helpers

    private func storedLabels(for requests: [LabelRequest]) -> [LabelRequest: LabelResult] {
        let keys = requests.map { LabelKey(labeler: identity, request: $0) }
        let found = store.lookup(keys)
        var results: [LabelRequest: LabelResult] = [:]
        for (key, stored) in found {
            results[key.request] = LabelResult(request: key.request, answer: LabelerAnswer(outcome: stored.outcome, rawResponse: stored.rawResponse,
                                                                                           latency: stored.latency), source: .store)
        }
        return results
    }

    private func removeSubscriber(_ id: Int) {
        subscribers[id] = nil
    }

    private func resumeIdleWaitersIfIdle() {
        guard isIdle, !idleWaiters.isEmpty else { return }
        let waiters = idleWaiters
        idleWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }
}
