import Synchronization
import YendorSupport

/// Wraps another labeler with latency, failures and label noise, for experiments and
/// benchmarks (e.g. "what if the LLM took 2 s per call and were wrong 10% of the time?").
public final class SimulatedLabeler: Labeler {
    public struct Configuration: Sendable {
        /// Added delay per call (per batch), before the inner labeler answers.
        public var latency: Duration = .zero
        /// Fraction of items, in [0, 1], answered with `simulatedFailure` instead of a label.
        public var failureRate: Double = 0
        /// Fraction of labeled items, in [0, 1], whose label is replaced by a wrong one.
        public var labelNoise: Double = 0
        /// Seed for the failure and noise draws, so runs are reproducible.
        public var seed: UInt64 = 1

        public init(latency: Duration = .zero, failureRate: Double = 0, labelNoise: Double = 0, seed: UInt64 = 1) {
            self.latency = latency
            self.failureRate = failureRate
            self.labelNoise = labelNoise
            self.seed = seed
        }

        public func validate() throws(AnnotatorError) {
            if latency < .zero { throw .invalidConfiguration(field: "latency", reason: "must be >= 0") }
            if !(0...1).contains(failureRate) { throw .invalidConfiguration(field: "failureRate", reason: "must be in [0, 1], got \(failureRate)") }
            if !(0...1).contains(labelNoise) { throw .invalidConfiguration(field: "labelNoise", reason: "must be in [0, 1], got \(labelNoise)") }
        }
    }

    public let identity: LabelerIdentity
    private let inner: any Labeler
    private let configuration: Configuration
    private let random: Mutex<SplitMix64>

    /// The labeler it wraps (an LLM server, with `--llm-url`) sends nothing new either.
    public func stopSendingNewRequests() { inner.stopSendingNewRequests() }

    public init(wrapping inner: any Labeler, configuration: Configuration) throws(AnnotatorError) {
        try configuration.validate()
        self.inner = inner
        self.configuration = configuration
        self.random = Mutex(SplitMix64(seed: configuration.seed))
        // A different backend name: noisy labels must never mix with the inner labeler's.
        identity = LabelerIdentity(
            backend: "simulated+" + inner.identity.backend, model: inner.identity.model,
            promptVersion: inner.identity.promptVersion + "/fail=\(configuration.failureRate),noise=\(configuration.labelNoise),seed=\(configuration.seed)")
    }

    public func label(_ requests: [LabelRequest]) async -> [LabelerAnswer] {
        if configuration.latency > .zero {
            // Cancelled while "at the LLM": nothing was received, as a real backend would answer.
            do { try await Task.sleep(for: configuration.latency) } catch {
                return requests.map { _ in LabelerAnswer(outcome: .failed(.cancelled), rawResponse: "no answer", latency: .zero) }
            }
        }
        let answers = await inner.label(requests)
        return random.withLock { random in
            answers.map { answer in
                var answer = answer
                answer.latency += configuration.latency
                if random.unit() < configuration.failureRate {
                    answer.outcome = .failed(.simulatedFailure)
                    answer.rawResponse = "simulated failure"
                } else if let label = answer.outcome.label, random.unit() < configuration.labelNoise {
                    answer.outcome = .labeled(Self.wrong(label, &random))
                    answer.rawResponse += " (simulated noise)"
                }
                return answer
            }
        }
    }

    /// A label different from `label`, of the same task type.
    static func wrong(_ label: Label, _ random: inout SplitMix64) -> Label {
        switch label {
        case .helpful: .notHelpful
        case .notHelpful: .helpful
        case .first: random.unit() < 0.5 ? .second : .tie
        case .second: random.unit() < 0.5 ? .first : .tie
        case .tie: random.unit() < 0.5 ? .first : .second
        }
    }
}
