import Foundation
import Logging
import Synchronization
import YendorEnvironment
import YendorSupport
import YendorWire
import ZeroMQ

/// Environments hosted by one or more environment servers (e.g. Gymnasium envs served by
/// `yendor-env serve`), stepped in batches over ZeroMQ, behind the same `VectorEnvironment`
/// interface as Yendor's native envs.
///
/// Each server may be stepped whole or in slices (`EnvServerSlice`), so that several vector envs
/// share one server. A step sends every server its part of the actions first and then collects the
/// replies, so the servers step in parallel (one Python process per core). A server that does not answer within
/// `timeout` is reported; the env reconnects to it, waiting until it is back (checking for
/// cancellation), and the episodes it was running end as truncated on that step.
public final class RemoteVectorEnv: BufferedVectorEnvironment {
    public let spec: ObservationSpec
    public let count: Int
    public let taskName: String
    public private(set) var finishedEpisodes: [FinishedEpisode] = []
    /// Server failures since the start (no answer in time, an undecodable reply, a protocol
    /// violation): each cut its server's episodes. Atomic, so a worker's metrics can read it while
    /// a step runs on another thread.
    public var serverFailures: Int { failureCounts.server.load(ordering: .relaxed) }
    /// Attempts to reopen a failed server that failed in turn (no answer, or a refusal).
    public var reopenFailures: Int { failureCounts.reopen.load(ordering: .relaxed) }
    /// Episodes an env ended by raising (the server truncates them and says why); each is an
    /// episode cut short, counted in the run's returns and success rate as it ended.
    public var envErrors: Int { failureCounts.envErrors.load(ordering: .relaxed) }
    private let failureCounts = FailureCounts()
    private final class FailureCounts: Sendable {
        let server = Atomic<Int>(0), reopen = Atomic<Int>(0), envErrors = Atomic<Int>(0)
    }
    /// Reads the failure counts from any thread (for the worker's metrics).
    public var failureReader: @Sendable () -> (serverFailures: Int, reopenFailures: Int, envErrors: Int) {
        let counts = failureCounts
        return { (counts.server.load(ordering: .relaxed), counts.reopen.load(ordering: .relaxed), counts.envErrors.load(ordering: .relaxed)) }
    }
    /// Raise to end a step (or the first opening) that waits for a server (e.g. on SIGTERM); it
    /// throws CancellationError.
    public let stop: StopFlag

    private let servers: [EnvServerConnection]
    /// What each connection opens: a whole server or a slice of one.
    private let addresses: [EnvServerSlice]
    /// First env index (here) and env count of each connection.
    private let slices: [(start: Int, count: Int)]
    private let seed: UInt64
    private let logger: Logger
    /// The output buffers (read through the `VectorEnvironment` accessors).
    public let buffers: EnvironmentBuffers
    private var captionCounts: [EpisodeCaptionCounts]
    private var episodeSeeds: [UInt64]
    /// Envs that raise can do so at every step: one line per server slice and interval, with a count.
    private var envErrorLog: LogThrottle
    /// Per connection, the steps it answered since its envs were last taken over by another
    /// connection's EnvOpen; nil when that has not happened lately (`takeoverQuietSteps`).
    private var stepsSinceTakeover: [Int?]
    /// Two takeovers of one connection's envs within this many of its steps are two workers given
    /// the same server, not one renewed connection (which libzmq's monitor makes rare anyway).
    static let takeoverQuietSteps = 1_000

    /// Opens whole servers; see `init(slices:…)`.
    public convenience init(endpoints: [String], seed: UInt64, context: Context, timeout: Double = 10,
                            expected: ObservationSpec? = nil, logger: Logger) throws {
        try self.init(slices: endpoints.map { EnvServerSlice(endpoint: $0) }, seed: seed, context: context, timeout: timeout,
                      expected: expected, logger: logger)
    }

    /// Opens every server or slice (each resets its envs, seeded from `seed` + the env's index here)
    /// and checks they serve one spec; `expected`, when given, must match it (naming both).
    /// `envErrorLogInterval`: seconds between log lines about envs that raise, per server slice.
    /// `waitingForServers`: a server that does not answer yet is waited for (`untilAnswered`) until it
    /// does or `stop` is raised, instead of being an error after `timeout`.
    public init(slices addresses: [EnvServerSlice], seed: UInt64, context: Context, timeout: Double = 10,
                expected: ObservationSpec? = nil, envErrorLogInterval: Double = 10, waitingForServers: Bool = false,
                stop: StopFlag = StopFlag(), logger: Logger) throws {
        guard !addresses.isEmpty else { throw RemoteEnvironmentError.serverUnavailable(endpoint: "-", reason: "no env server given") }
        self.stop = stop
        self.seed = seed
        self.logger = logger
        envErrorLog = LogThrottle(interval: envErrorLogInterval)
        self.addresses = addresses
        servers = addresses.map { EnvServerConnection(endpoint: $0.endpoint, label: $0.description, context: context, timeout: timeout, stop: stop) }
        var specs: [(EnvSpecMessage, ObservationSpec)] = []
        var start = 0
        var slices: [(Int, Int)] = []
        for (server, address) in zip(servers, addresses) {
            let firstSeed = seed &+ UInt64(start)
            func openServer() throws -> WireMessage {
                try server.reconnect()
                return try server.request { Self.open(address, sequence: $0, seed: firstSeed) }
            }
            let reply = waitingForServers ? try Self.untilAnswered(server.label, stop: stop, logger: logger, openServer) : try openServer()
            guard case .envSpec(let message) = reply else {
                throw RemoteEnvironmentError.protocolViolation(endpoint: server.label, detail: "expected EnvSpec, got \(reply.kind)")
            }
            let spec = try Self.spec(of: message, endpoint: server.label)
            if let first = specs.first?.1, first != spec {
                throw RemoteEnvironmentError.specMismatch(endpoint: server.label, got: spec.fingerprint, expected: first.fingerprint)
            }
            if let expected, expected != spec {
                throw RemoteEnvironmentError.specMismatch(endpoint: server.label, got: spec.fingerprint, expected: expected.fingerprint)
            }
            specs.append((message, spec))
            slices.append((start, Int(message.numEnvs)))
            start += Int(message.numEnvs)
        }
        spec = specs[0].1
        taskName = specs[0].0.task
        count = start
        self.slices = slices
        buffers = EnvironmentBuffers(spec: spec, count: start)
        captionCounts = Array(repeating: EpisodeCaptionCounts(), count: start)
        episodeSeeds = (0..<start).map { seed &+ UInt64($0) }
        stepsSinceTakeover = Array(repeating: nil, count: slices.count)
        for (i, (message, _)) in specs.enumerated() {
            try buffers.store(message.observations, server: servers[i].label, slice: slices[i], spec: spec, resetFlags: true)
            for e in slices[i].0..<(slices[i].0 + slices[i].1) { countCaption(e, fresh: true) }
        }
    }

    deinit {
        for server in servers { _ = try? server.request { EnvClose(sequence: $0).encoded() } }
    }

    /// `ask`'s answer from the env server `label` names, asked again while the server does not
    /// answer (not started yet: a cluster starts workers, learners and env servers together): said
    /// once, then asked with `reopenBackoff` until it answers or `stop` is raised (CancellationError).
    /// A server that answers with a refusal is an error at once.
    public static func untilAnswered<T>(_ label: String, stop: StopFlag, logger: Logger, _ ask: () throws -> T) throws -> T {
        var failures = 0
        while true {
            do {
                let answer = try ask()
                if failures > 0 { logger.notice("env server \(label) answered") }
                return answer
            } catch RemoteEnvironmentError.serverUnavailable(_, let reason) {
                if failures == 0 {
                    logger.warning("env server \(label) does not answer (\(reason)): waiting for it; is it running there (--env-server, env.servers)?")
                }
                let wait = reopenBackoff.delay(retry: failures, retryAfter: nil, unit: Double.random(in: 0..<1))
                failures += 1
                try stop.sleep(for: wait)
            }
        }
    }

    private static func open(_ a: EnvServerSlice, sequence: UInt64, seed: UInt64) -> [UInt8] {
        EnvOpen(sequence: sequence, seed: seed, split: UInt32(a.split), splits: UInt32(a.splits)).encoded()
    }

    /// The spec an EnvSpec message declares.
    static func spec(of m: EnvSpecMessage, endpoint: String) throws -> ObservationSpec {
        let s = m.sizes.map(Int.init)
        let spec = ObservationSpec(environment: m.environment.replacingOccurrences(of: " ", with: "_"), mapRows: s[0],
                                   mapColumns: s[1], cropSize: s[2], glyphCount: s[3], blstatsCount: s[4],
                                   captionBytes: s[5], actionCount: s[6])
        do { try spec.validate() } catch {
            throw RemoteEnvironmentError.protocolViolation(endpoint: endpoint, detail: "bad spec: \(error)")
        }
        guard m.numEnvs >= 1 else { throw RemoteEnvironmentError.protocolViolation(endpoint: endpoint, detail: "serves no env") }
        guard m.numEnvs <= maxEnvsPerServer else {
            throw RemoteEnvironmentError.protocolViolation(endpoint: endpoint, detail: "serves \(m.numEnvs) envs, over the limit \(maxEnvsPerServer)")
        }
        // Arrays that came with the message hold real bytes: buffers sized by a count they agree
        // with are bounded by the message size.
        if let odd = m.observations.first(where: { $0.shape.first != Int(m.numEnvs) }) {
            throw RemoteEnvironmentError.protocolViolation(endpoint: endpoint, detail: "\(odd.name) has shape \(odd.shape) for \(m.numEnvs) envs")
        }
        return spec
    }

    /// Envs one server may declare: the worker's buffers are sized by the count before the server's
    /// arrays can be checked against it.
    public static let maxEnvsPerServer: UInt32 = 1 << 14

    /// Servers reset their envs only when opened; a reset here reopens every server.
    public func reset() throws {
        finishedEpisodes.removeAll(keepingCapacity: true)
        for (i, server) in servers.enumerated() { try reopen(i, server: server) }
    }

    public func step(actions: UnsafeBufferPointer<Int32>) throws {
        // Checked here too, so that a bad action is the caller's error and never reaches a server.
        if let problem = actionProblem(actions) { throw RemoteEnvironmentError.protocolViolation(endpoint: "-", detail: problem) }
        finishedEpisodes.removeAll(keepingCapacity: true)
        var failed: [Int] = []
        for (i, server) in servers.enumerated() {
            let slice = Array(actions[slices[i].start..<(slices[i].start + slices[i].count)])
            do { try server.send { EnvStep(sequence: $0, actions: slice).encoded() } } catch { failed.append(i) }
        }
        for (i, server) in servers.enumerated() where !failed.contains(i) {
            do {
                let reply = try server.receive(until: server.replyDeadline)
                guard case .envStepResult(let result) = reply else {
                    throw RemoteEnvironmentError.protocolViolation(endpoint: server.label, detail: "expected EnvStepResult, got \(reply.kind)")
                }
                try buffers.store(result.arrays, server: server.label, slice: slices[i], spec: spec, resetFlags: false)
                try check(result.episodes, server: i)
                record(result.episodes, server: i)
                stepsSinceTakeover[i] = stepsSinceTakeover[i].map { $0 + 1 }.flatMap { $0 < Self.takeoverQuietSteps ? $0 : nil }
            } catch is CancellationError {
                throw CancellationError()
            } catch RemoteEnvironmentError.serverError(_, let message) where message.contains(EnvServerConnection.takenOverSign) {
                // Another connection opened these envs: taken back once (a renewed connection of
                // this worker's looks the same), but a second time soon after is another worker
                // stepping the same server, and taking them back again would go on for ever, each
                // open cutting the other's episodes short (trial G: 130 times in 20 s).
                if let steps = stepsSinceTakeover[i] {
                    throw RemoteEnvironmentError.takenOver(endpoint: server.label, steps: steps)
                }
                logger.error("env server \(server.label): another connection opened this worker's envs there (another worker given the same env server, or this worker's connection renewed); taking them back once")
                stepsSinceTakeover[i] = 0
                failed.append(i)
            } catch {
                logger.error("\(error)")
                failed.append(i)
            }
        }
        for i in failed { try recover(i) }
    }

    /// Checks a server's finished episodes against the step they end, before any is recorded: a
    /// bad one is the server's protocol violation (the server is then reopened), never a value that
    /// traps later or gets the worker's trajectory refused by the learner.
    private func check(_ episodes: [EnvEpisode], server i: Int) throws {
        let (start, n) = slices[i]
        var reported = Set<UInt32>()
        for e in episodes {
            let problem: String? =
                Int(e.env) >= n ? "env out of 0..<\(n)"
                : !reported.insert(e.env).inserted ? "reported twice in one step"
                : buffers.done[start + Int(e.env)] == 0 ? "its env's done flag is not set"
                : !(1...UInt32(Int32.max)).contains(e.length) ? "length \(e.length), expected 1...\(Int32.max)"
                : !e.episodeReturn.isFinite ? "return \(e.episodeReturn) is not finite"
                : nil
            if let problem {
                throw RemoteEnvironmentError.protocolViolation(endpoint: servers[i].label, detail: "episode of env \(e.env): \(problem)")
            }
        }
    }

    /// Counts N(caption) and collects the server's finished episodes (checked by `check`).
    private func record(_ episodes: [EnvEpisode], server i: Int) {
        let (start, n) = slices[i]
        var ended = Set<Int>()
        for e in episodes {
            let env = start + Int(e.env)
            ended.insert(env)
            if !e.error.isEmpty { failureCounts.envErrors.add(1, ordering: .relaxed) }
            if !e.error.isEmpty, let suppressed = envErrorLog.shouldLog(servers[i].label, now: MonotonicClock.seconds) {
                // Env e.env of the slice (the server's own log counts from the server's first env).
                let more = suppressed > 0 ? " (and \(suppressed) more env errors from it since the last line, not logged)" : ""
                logger.warning("env \(e.env) of \(addresses[i]) raised: \(PeerID.escaped(e.error, limit: 500))\(more)")
            }
            // Cut to the spec's caption size as the env's own captions are (the wire allows longer).
            let caption = spec.captionText(e.lastCaption.utf8)
            let lastCount = captionCounts[env].peek(EpisodeCaptionCounts.key(caption.utf8))
            var finished = FinishedEpisode(
                envIndex: env, task: taskName, episodeReturn: e.episodeReturn, length: Int(e.length), success: e.success,
                truncated: e.truncated, seed: episodeSeeds[env], deepest: 0, score: 0, lastCaption: caption,
                lastCaptionCount: lastCount)
            finished.error = e.error
            finishedEpisodes.append(finished)
        }
        for env in start..<(start + n) { countCaption(env, fresh: ended.contains(env) || buffers.done[env] != 0) }
    }

    /// A failed server: report, reconnect until it answers, and end its envs' episodes as truncated.
    private func recover(_ i: Int) throws {
        let server = servers[i]
        failureCounts.server.add(1, ordering: .relaxed)
        logger.error("env server \(server.label) failed; reconnecting")
        try reopen(i, server: server)
        logger.notice("env server \(server.label) is back")
        let (start, n) = slices[i]
        for env in start..<(start + n) {
            buffers.reward[env] = 0
            buffers.done[env] = 1
            buffers.truncated[env] = 1
        }
    }

    /// Opens server `i` again, retrying until it answers or the task is cancelled. A failed attempt
    /// (no server, or one that refuses the open, such as a server restarted with too few envs for
    /// this slice) waits `reopenBackoff` before the next, so a refusing server is asked a few times a
    /// minute instead of in a tight loop; each failure is counted and logged with its reason.
    private func reopen(_ i: Int, server: EnvServerConnection) throws {
        var failures = 0
        while true {
            if Task.isCancelled || stop.isSet { throw CancellationError() }
            do {
                try server.reconnect()
                let reply = try server.request { Self.open(addresses[i], sequence: $0, seed: seed &+ UInt64(slices[i].start)) }
                guard case .envSpec(let message) = reply else {
                    throw RemoteEnvironmentError.protocolViolation(endpoint: server.label, detail: "expected EnvSpec, got \(reply.kind)")
                }
                let spec = try Self.spec(of: message, endpoint: server.label)
                guard spec == self.spec else {
                    throw RemoteEnvironmentError.specMismatch(endpoint: server.label, got: spec.fingerprint, expected: self.spec.fingerprint)
                }
                // Restarted with more envs: this worker's count is fixed, so it waits, as for too few.
                guard Int(message.numEnvs) == slices[i].count else {
                    throw RemoteEnvironmentError.serverUnavailable(endpoint: server.label, reason:
                        "it came back with \(message.numEnvs) envs in this slice, where this worker steps \(slices[i].count): start it with as many envs as before")
                }
                try buffers.store(message.observations, server: server.label, slice: slices[i], spec: spec, resetFlags: true)
                for env in slices[i].start..<(slices[i].start + slices[i].count) { countCaption(env, fresh: true) }
                return
            } catch let e as RemoteEnvironmentError {
                if case .specMismatch = e { throw e }
                let wait = Self.reopenBackoff.delay(retry: failures, retryAfter: nil, unit: Double.random(in: 0..<1))
                failures += 1
                failureCounts.reopen.add(1, ordering: .relaxed)
                logger.warning("\(e); trying again in \(String(format: "%.1f", wait.seconds)) s (attempt \(failures) failed)")
                try stop.sleep(for: wait)
            }
        }
    }

    /// The wait between attempts to reopen a failed server: 0.1 s, doubling up to 5 s, ±50%.
    public static let reopenBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.5)

    private func countCaption(_ env: Int, fresh: Bool) {
        if fresh { captionCounts[env].reset() }
        let start = env * spec.captionBytes, length = Int(buffers.captionLength[env])
        let key = EpisodeCaptionCounts.key(UnsafeBufferPointer(rebasing: buffers.captions[start..<(start + length)]))
        buffers.captionCount[env] = captionCounts[env].count(key)
    }
}

extension RemoteVectorEnv {
    /// Asks the server at `endpoint` for its spec and task with EnvDescribe, which leaves its envs
    /// as they are (a learner may ask while a worker steps them), waiting up to `timeout` seconds for
    /// it to answer. A server that predates EnvDescribe answers EnvError; it is then opened and
    /// closed (which resets its envs). `stop` ends the wait (CancellationError).
    public static func probe(endpoint: String, timeout: Double = 10, stop: StopFlag = StopFlag()) throws -> (spec: ObservationSpec, task: String, envs: Int) {
        let context = try Context()
        defer { context.terminate() }
        let connection = EnvServerConnection(endpoint: endpoint, context: context, timeout: timeout, stop: stop)
        try connection.reconnect()
        let reply: WireMessage, opened: Bool
        do {
            reply = try connection.request { EnvDescribe(sequence: $0).encoded() }
            opened = false
        } catch RemoteEnvironmentError.serverError {
            reply = try connection.request { EnvOpen(sequence: $0, seed: 0).encoded() }
            opened = true
        }
        guard case .envSpec(let message) = reply else {
            throw RemoteEnvironmentError.protocolViolation(endpoint: endpoint, detail: "expected EnvSpec, got \(reply.kind)")
        }
        if opened { _ = try? connection.request { EnvClose(sequence: $0).encoded() } }
        return (try spec(of: message, endpoint: endpoint), message.task, Int(message.numEnvs))
    }
}

extension RemoteVectorEnv {
    /// Steps on `queue` instead of the calling thread, for callers on Swift's cooperative pool: a
    /// slow or absent server then holds a thread of its own, never one of the pool's few. Cancelling
    /// the calling task raises `stop`, which ends a wait for a server.
    public static func step(_ box: UncheckedSendable<RemoteVectorEnv>, actions: [Int32], on queue: DispatchQueue) async throws {
        let stop = box.value.stop
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                queue.async {
                    do {
                        try box.value.step(actions: actions)
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            stop.set()
        }
    }
}

/// Hands a non-Sendable value to one other thread while its owner waits for that thread to finish.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
