import Synchronization
@testable import YendorAnnotator

/// A gate that labelers wait on until the test opens it; stays open once opened.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
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
    private let calls = Mutex(0)

    init(_ script: [LabelOutcome]) { self.script = script }

    var callCount: Int { calls.withLock { $0 } }

    func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        let call = calls.withLock { count in
            defer { count += 1 }
            return count
        }
        let outcome = script[min(call, script.count - 1)]
        return requests.map { _ in LabelerAnswer(outcome: outcome, rawResponse: "scripted \(call)", latency: .milliseconds(1)) }
    }
}
