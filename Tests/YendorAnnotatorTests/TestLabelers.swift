import Synchronization
@testable import YendorAnnotator

/// A gate that labelers wait on until the test opens it; stays open once opened.
actor Gate {
    private var isOpen = false
    private var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var nextID = 0
    private var arrivals = 0
    private var arrivalWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    func wait() async {
        _ = await waitUnlessCancelled()
    }

    /// Waits until the gate opens (true) or the calling task is cancelled (false).
    func waitUnlessCancelled() async -> Bool {
        arrive()
        if isOpen { return true }
        let id = nextID
        nextID += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume(returning: false) } else { waiters[id] = continuation }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Returns once `count` callers have reached the gate (event, not time).
    func waitForArrivals(_ count: Int) async {
        if arrivals >= count { return }
        await withCheckedContinuation { arrivalWaiters.append((count, $0)) }
    }

    func open() {
        isOpen = true
        for waiter in waiters.values { waiter.resume(returning: true) }
        waiters.removeAll()
    }

    private func cancel(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume(returning: false)
    }

    private func arrive() {
        arrivals += 1
        let ready = arrivalWaiters.filter { $0.count <= arrivals }
        arrivalWaiters.removeAll { $0.count <= arrivals }
        for waiter in ready { waiter.continuation.resume() }
    }
}

/// Wraps a labeler, records every batch it receives, and optionally waits on a gate first.
final class RecordingLabeler: Labeler {
    let identity: LabelerIdentity
    private let inner: any Labeler
    private let gate: Gate?
    private let batches = Mutex<[[LabelRequest]]>([])

    init(_ inner: any Labeler = LexiconLabeler(), gate: Gate? = nil) {
        self.inner = inner
        self.gate = gate
        identity = inner.identity
    }

    var recorded: [[LabelRequest]] { batches.withLock { $0 } }
    var askedItems: [LabelRequest] { recorded.flatMap { $0 } }

    func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        batches.withLock { $0.append(requests) }
        if let gate { await gate.wait() }
        return await inner.label(requests)
    }
}

/// Answers from a script of outcomes per call (then the last entry forever).
final class ScriptedLabeler: Labeler {
    let identity = LabelerIdentity(backend: "scripted", model: "test", promptVersion: "1")
    private let script: [LabelOutcome]
    private let calls = Mutex<[ContinuousClock.Instant]>([])

    init(_ script: [LabelOutcome]) { self.script = script }

    var callCount: Int { calls.withLock { $0.count } }
    /// When each call came, in order.
    var callTimes: [ContinuousClock.Instant] { calls.withLock { $0 } }

    func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        let call = calls.withLock { calls in
            defer { calls.append(.now) }
            return calls.count
        }
        let outcome = script[min(call, script.count - 1)]
        return requests.map { _ in LabelerAnswer(outcome: outcome, rawResponse: "scripted \(call)", latency: .milliseconds(1)) }
    }
}

/// Answers every item at once, except those whose caption contains "stuck": those wait at the
/// gate, then are answered, or answered `.cancelled` if the call is cancelled first (as the
/// OpenAI labeler does for a request still at the server).
final class PartlyStuckLabeler: Labeler {
    let identity = LabelerIdentity(backend: "stuck", model: "test", promptVersion: "1")
    let gate = Gate()

    func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        let answers = Mutex([LabelerAnswer?](repeating: nil, count: requests.count))
        await label(requests) { batch in answers.withLock { for (index, answer) in batch { $0[index] = answer } } }
        return answers.withLock { $0.map { $0! } }
    }

    func label(_ requests: [LabelRequest],
               onAnswers: @escaping @Sendable ([(index: Int, answer: LabelerAnswer)]) async -> Void) async {
        let stuck = requests.indices.filter { "\(requests[$0].task)".contains("stuck") }
        let helpful = LabelerAnswer(outcome: .labeled(.helpful), rawResponse: "Answer: helpful", latency: .milliseconds(1))
        await onAnswers(requests.indices.filter { !stuck.contains($0) }.map { ($0, helpful) })
        guard !stuck.isEmpty else { return }
        let opened = await gate.waitUnlessCancelled()
        let cancelled = LabelerAnswer(outcome: .failed(.cancelled), rawResponse: "cancelled", latency: .milliseconds(1))
        await onAnswers(stuck.map { ($0, opened ? helpful : cancelled) })
    }
}
