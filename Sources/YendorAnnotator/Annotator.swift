import Logging

/// The annotator's core, without sockets: dedup, a bounded queue, batching to a labeler,
/// the label store, and delivery of results to subscribers.
///
/// Clients call `submit`; labels already in the store come back at once in the receipt,
/// requests already pending are not queued twice, the rest wait in a bounded queue. When
/// the queue is full the oldest pending request is dropped (newest requests are the most
/// relevant to the current policy, as in ONI) and counted; labels already stored are never
/// lost. Batches go to the labeler with bounded concurrency; every answer is written to the
/// store before it is published to subscribers (`results()`), so a published label survives
/// a crash. The role (`yendor annotator`) maps ROUTER requests to `submit`/`lookup` and
/// publishes `results()` on PUB.
public actor Annotator {
    public struct Configuration: Sendable, Hashable {
        /// Pending requests kept at most; when full, the oldest pending request is dropped.
        public var queueCapacity: Int = 10_000
        /// Requests per labeler call.
        public var batchSize: Int = 16
        /// Labeler calls in flight at once.
        public var maxConcurrentBatches: Int = 4
        /// Times an item may get an unusable answer (no label, malformed JSON) before it is
        /// stored as `unlabelable` and never asked again.
        public var maxAnswerAttempts: Int = 3
        /// Times an item may fail transiently (timeouts, 5xx, ...) after the labeler's own
        /// retries before it is given up for now (not stored: a later submit asks again).
        public var maxTransientAttempts: Int = 10
        /// Results buffered per subscriber; a slow subscriber loses the oldest beyond this.
        public var subscriberBufferSize: Int = 4096
        /// Latencies kept for the percentiles.
        public var latencySampleCapacity: Int = 1024
        /// Window over which `labelsPerSecond` is computed, in whole seconds.
        public var rateWindowSeconds: Int = 10

        public init() {}

        public func validate() throws(AnnotatorError) {
            let positive: [(String, Int)] = [
                ("queueCapacity", queueCapacity), ("batchSize", batchSize),
                ("maxConcurrentBatches", maxConcurrentBatches), ("maxAnswerAttempts", maxAnswerAttempts),
                ("maxTransientAttempts", maxTransientAttempts), ("subscriberBufferSize", subscriberBufferSize),
                ("latencySampleCapacity", latencySampleCapacity), ("rateWindowSeconds", rateWindowSeconds),
            ]
            for (field, value) in positive where value < 1 {
                throw .invalidConfiguration(field: field, reason: "must be >= 1, got \(value)")
            }
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
    private let store: LabelStore
    private let configuration: Configuration
    private let logger: Logger

    private var queue: RingBuffer<LabelRequest>
    private var queued: Set<LabelRequest> = []
    private var inFlight: Set<LabelRequest> = []
    /// Unusable answers and transient failures so far, for requests queued or in flight.
    private var attempts: [LabelRequest: (answer: Int, transient: Int)] = [:]
    private var activeBatches = 0
    private var batchTasks: [Int: Task<Void, Never>] = [:]
    private var nextBatchID = 0
    private var stopping = false
    private var subscribers: [Int: AsyncStream<LabelResult>.Continuation] = [:]
    private var nextSubscriberID = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    private var counters = AnnotatorStatistics()
    private var latencies: RingBuffer<Double>
    private var rate: RateMeter

    public init(labeler: any Labeler, store: LabelStore, configuration: Configuration, logger: Logger) throws(AnnotatorError) {
        try configuration.validate()
        self.labeler = labeler
        self.identity = labeler.identity
        self.store = store
        self.configuration = configuration
        self.logger = logger
        queue = RingBuffer(capacity: configuration.queueCapacity)
        latencies = RingBuffer(capacity: configuration.latencySampleCapacity)
        rate = RateMeter(windowSeconds: configuration.rateWindowSeconds)
    }

    // MARK: - Clients

    /// Accepts requests: known labels come back in the receipt, the rest are queued (once).
    public func submit(_ requests: [LabelRequest]) -> Receipt {
        var receipt = Receipt()
        counters.submitted += requests.count
        guard !stopping else { return receipt }
        let stored = storedLabels(for: requests)
        for request in requests {
            if let known = stored[request] {
                counters.cacheHits += 1
                receipt.known.append(known)
            } else if queued.contains(request) || inFlight.contains(request) {
                counters.duplicates += 1
                receipt.duplicates += 1
            } else {
                if let evicted = queue.pushBack(request) {
                    queued.remove(evicted)
                    attempts[evicted] = nil
                    counters.dropped += 1
                    receipt.evicted.append(evicted)
                }
                queued.insert(request)
                receipt.queued += 1
            }
        }
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
            if let known = stored[request] { return .known(known) }
            return queued.contains(request) || inFlight.contains(request) ? .pending : .unknown
        }
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

    /// Current counters and gauges.
    public func statistics() -> AnnotatorStatistics {
        var snapshot = counters
        snapshot.queueDepth = queue.count
        snapshot.inFlight = inFlight.count
        snapshot.labelsPerSecond = rate.rate()
        let sorted = latencies.elements.sorted()
        snapshot.latencyP50 = Self.percentile(sorted, 0.50)
        snapshot.latencyP90 = Self.percentile(sorted, 0.90)
        snapshot.latencyP99 = Self.percentile(sorted, 0.99)
        return snapshot
    }

    /// Returns when nothing is queued or in flight.
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Stops taking requests, lets in-flight batches finish and store their labels, then ends
    /// every subscriber stream. Queued requests that never reached the labeler are discarded
    /// (clients send them again after a restart).
    public func shutdown() async {
        stopping = true
        while let request = queue.popFront() {
            queued.remove(request)
            attempts[request] = nil
        }
        for task in batchTasks.values { await task.value }
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
        resumeIdleWaitersIfIdle()
    }

    // MARK: - Batches

    private var isIdle: Bool { queue.isEmpty && activeBatches == 0 }

    /// Starts labeler calls while there is work and a free slot.
    private func pump() {
        while !stopping, activeBatches < configuration.maxConcurrentBatches, !queue.isEmpty {
            var batch: [LabelRequest] = []
            while batch.count < configuration.batchSize, let request = queue.popFront() {
                queued.remove(request)
                inFlight.insert(request)
                batch.append(request)
            }
            activeBatches += 1
            let id = nextBatchID
            nextBatchID += 1
            let labeler = self.labeler, items = batch
            batchTasks[id] = Task {
                let answers = await labeler.label(items)
                self.finish(batch: id, requests: items, answers: answers)
            }
        }
        resumeIdleWaitersIfIdle()
    }

    private func finish(batch id: Int, requests: [LabelRequest], answers: [LabelerAnswer]) {
        batchTasks[id] = nil
        activeBatches -= 1
        if answers.count != requests.count {
            logger.error("labeler returned the wrong number of answers", metadata: ["expected": "\(requests.count)", "got": "\(answers.count)"])
        }
        var toStore: [StoredLabel] = []
        var toPublish: [LabelResult] = []
        var requeue: [LabelRequest] = []
        for (index, request) in requests.enumerated() {
            inFlight.remove(request)
            let answer = index < answers.count ? answers[index]
                : LabelerAnswer(outcome: .failed(.malformedResponse), rawResponse: "no answer from labeler", latency: .zero)
            var tries = attempts[request] ?? (0, 0)
            attempts[request] = nil
            _ = latencies.pushBack(answer.latency.seconds)
            let key = LabelKey(labeler: identity, request: request)
            switch answer.outcome {
            case .labeled:
                toStore.append(StoredLabel(key: key, outcome: answer.outcome, rawResponse: answer.rawResponse,
                                           attempts: tries.answer + tries.transient + 1, latency: answer.latency))
                toPublish.append(LabelResult(request: request, outcome: answer.outcome, rawResponse: answer.rawResponse,
                                        latency: answer.latency, source: .labeler))
            case .failed(let kind):
                counters.errors[kind, default: 0] += 1
                if kind.isAnswerError {
                    tries.answer += 1
                } else if kind.isTransient {
                    tries.transient += 1
                }
                if kind.isAnswerError && tries.answer >= configuration.maxAnswerAttempts {
                    // Final: stored so no run ever asks again.
                    counters.errors[.unlabelable, default: 0] += 1
                    let outcome = LabelOutcome.failed(.unlabelable)
                    toStore.append(StoredLabel(key: key, outcome: outcome, rawResponse: answer.rawResponse,
                                               attempts: tries.answer + tries.transient, latency: answer.latency))
                    toPublish.append(LabelResult(request: request, outcome: outcome, rawResponse: answer.rawResponse,
                                            latency: answer.latency, source: .labeler))
                } else if (kind.isAnswerError || kind.isTransient) && tries.transient < configuration.maxTransientAttempts && !stopping {
                    attempts[request] = tries
                    requeue.append(request)
                } else {
                    // Given up for now (e.g. the server rejects the request): not stored.
                    toPublish.append(LabelResult(request: request, outcome: answer.outcome, rawResponse: answer.rawResponse,
                                            latency: answer.latency, source: .labeler))
                }
            }
        }
        do {
            try store.save(toStore)
        } catch {
            counters.storeErrors += 1
            logger.error("cannot store labels; publishing them anyway", metadata: ["error": "\(error)", "count": "\(toStore.count)"])
        }
        let labeledCount = toStore.count { $0.outcome.label != nil }
        counters.labeled += labeledCount
        rate.record(labeledCount)
        // Retried items are older than anything queued: they go back at the front, and are the
        // first dropped if the queue is full.
        for request in requeue.reversed() {
            if queue.pushFront(request) {
                queued.insert(request)
            } else {
                attempts[request] = nil
                counters.dropped += 1
            }
        }
        for result in toPublish {
            for continuation in subscribers.values { continuation.yield(result) }
        }
        pump()
    }

    // MARK: - Helpers

    private func storedLabels(for requests: [LabelRequest]) -> [LabelRequest: LabelResult] {
        let keys = requests.map { LabelKey(labeler: identity, request: $0) }
        let found: [LabelKey: StoredLabel]
        do { found = try store.lookup(keys) } catch {
            counters.storeErrors += 1
            logger.error("cannot read the label store", metadata: ["error": "\(error)"])
            return [:]
        }
        var results: [LabelRequest: LabelResult] = [:]
        for (key, stored) in found {
            results[key.request] = LabelResult(request: key.request, outcome: stored.outcome, rawResponse: stored.rawResponse,
                                          latency: stored.latency, source: .store)
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

    /// Nearest-rank percentile of an ascending array; 0 when empty.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
