import YendorSupport

/// Which captions to ask the annotator about, for the models that label single captions.
///
/// Captions seen in experience but not yet labeled become candidates (bounded; new
/// candidates are dropped while the list is full, they come back when seen again).
/// `take` moves candidates to the pending list (bounded; when full the oldest pending
/// query is forgotten and may be asked again later; one unanswered for `retryAfter` seconds
/// too, `PendingQueries`). A label for a pending caption counts as an answer: coverage =
/// answered / queried, a forgotten query counting as never asked.
struct CaptionQueryTracker {
    private var candidates: BoundedOrderedSet<String>
    private var pending: PendingQueries
    /// Queries handed out so far (less those forgotten unanswered).
    private(set) var queried = 0
    /// Queries that got a label.
    private(set) var answered = 0
    /// Queries forgotten unanswered after `retryAfter`, to be asked again.
    var retried: Int { pending.forgotten }

    init(maxCandidates: Int, maxPending: Int, retryAfter: Double, clock: @escaping @Sendable () -> Double = PendingQueries.monotonicSeconds) {
        candidates = BoundedOrderedSet(capacity: maxCandidates)
        pending = PendingQueries(capacity: maxPending, retryAfter: retryAfter, clock: clock)
    }

    /// Notes a caption from experience; `labeled` says whether a label is already known.
    mutating func noteSeen(_ caption: String, labeled: Bool) {
        queried -= pending.expire()
        guard !labeled, !Self.isBlank(caption), !pending.contains(caption), !candidates.contains(caption) else { return }
        guard candidates.count < candidates.capacity else { return }
        candidates.insert(caption)
    }

    /// Up to `limit` captions to query, oldest candidates first; skips ones labeled since.
    mutating func take(limit: Int, isLabeled: (String) -> Bool) -> [String] {
        queried -= pending.expire()
        var out: [String] = []
        while out.count < limit, let c = candidates.popFirst() {
            if isLabeled(c) || pending.contains(c) { continue }
            pending.insert(c)
            queried += 1
            out.append(c)
        }
        return out
    }

    /// Notes that `caption` received a label.
    mutating func noteLabeled(_ caption: String) {
        candidates.remove(caption)
        if pending.remove(caption) { answered += 1 }
    }

    /// Fraction of queried captions that received a label (0 before any query).
    var coverage: Double { queried == 0 ? 0 : Double(answered) / Double(queried) }

    /// Restores the counters from a checkpoint (the lists themselves are rebuilt from experience).
    mutating func restore(queried: Int, answered: Int) {
        self.queried = queried
        self.answered = answered
    }

    /// Empty and whitespace-only captions ("no message") are never queried and earn 0.
    static func isBlank(_ caption: String) -> Bool {
        caption.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    }
}
