import YendorAnnotator
import YendorWire

/// What a learner's label bridge talks to: the annotator in this process, or a `yendor annotator`
/// over ZeroMQ (`AnnotatorClient`). Both take `LabelRequest`s and give back labels as `LabeledTask`s
/// with the goal they answer, so the bridge has one loop for either.
public protocol AnnotatorConnection: Sendable {
    /// Where the annotator is, for log lines.
    var endpoint: String { get }
    /// Hands `requests` over without waiting on an annotator that is down (what cannot be sent is
    /// counted by the connection) and returns the answers known at once (the label store's).
    func ask(_ requests: [LabelRequest]) async -> [LabelResult]
    /// Calls `body` with every label as it comes, and the goal it answers (whatever that is), until
    /// the task is cancelled. Answers without a label (pending, failed) are left out.
    func forEachAnswer(_ body: @Sendable (Goal, LabeledTask) -> Void) async
    /// False for an annotator in this process, which cannot go silent; true for a remote one,
    /// whose `lastHeard` the bridge watches.
    var canGoSilent: Bool { get }
    /// When the annotator was last heard from; nil when never (or in this process).
    var lastHeard: ContinuousClock.Instant? { get }
    /// The reason the annotator gave as it stopped, until it is heard again; nil otherwise.
    var goodbye: String? { get }
}

/// The annotator in this process: requests go straight to its queue, no sockets.
public struct InProcessAnnotatorConnection: AnnotatorConnection {
    public let annotator: Annotator

    public init(_ annotator: Annotator) { self.annotator = annotator }

    public var endpoint: String { "in process" }
    public var canGoSilent: Bool { false }
    public var lastHeard: ContinuousClock.Instant? { nil }
    public var goodbye: String? { nil }

    public func ask(_ requests: [LabelRequest]) async -> [LabelResult] { await annotator.submit(requests).known }

    public func forEachAnswer(_ body: @Sendable (Goal, LabeledTask) -> Void) async {
        for await result in await annotator.results() {
            if let labeled = result.labeledTask { body(result.request.goal, labeled) }
        }
    }
}

extension AnnotatorClient: AnnotatorConnection {
    public var endpoint: String { configuration.requestsEndpoint }
    public var canGoSilent: Bool { true }
    public var lastHeard: ContinuousClock.Instant? { lastHeardFromAnnotator }
    public var goodbye: String? { annotatorGoodbye }

    /// One wire request per goal and mode, sent with `tryRequest`: never waits on a down annotator.
    /// Answers all come later, through `forEachAnswer`.
    public func ask(_ requests: [LabelRequest]) async -> [LabelResult] {
        for (group, items) in LabelRequest.WireGroup.grouping(requests) {
            _ = tryRequest(goal: group.goal, mode: group.mode, items: items)
        }
        return []
    }

    public func forEachAnswer(_ body: @Sendable (Goal, LabeledTask) -> Void) async {
        for await result in results {
            guard let (goal, tasks) = result.labeledTasks else { continue }
            for labeled in tasks { body(goal, labeled) }
        }
    }
}
