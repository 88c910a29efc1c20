import Foundation
import Logging
import Synchronization
import Testing
import YendorTestSupport
import RemoteEnvironment
import YendorEnvironment
import YendorWire
import ZeroMQ

/// An env server is a peer: this test plays one that answers EnvOpen with a valid spec and then
/// breaks the protocol in one way. The worker's env must refuse it with a clear error and count it,
/// never trap (an episode length over Int32 once did, inside the rollout) nor record a value that
/// gets the worker's whole trajectory refused by the learner.
@Suite("Misbehaving env server")
struct MisbehavingEnvServerTests {
    static let spec = ObservationSpec(environment: "fake", mapRows: 3, mapColumns: 4, cropSize: 3, glyphCount: 8,
                                      blstatsCount: 2, captionBytes: 16, actionCount: 4)

    /// A ROUTER on a fresh ipc endpoint answering on a thread of its own: EnvOpen with an EnvSpec of
    /// `envs` envs (declared as `declaredEnvs`), EnvStep with every env done and `episodes`.
    final class FakeServer: Sendable {
        let endpoint = "ipc://\(Scratch.path)yendor-fake-env-\(UUID().uuidString.prefix(8))"
        let context: Context
        private let done = Atomic<Bool>(false)
        private let finished = DispatchSemaphore(value: 0)

        init(envs: Int, declaredEnvs: UInt32? = nil, episodes: [EnvEpisode]) throws {
            context = try Context()
            let socket = try Socket(context: context, type: .router)
            try socket.set([.linger(milliseconds: 0), .receiveTimeout(milliseconds: 50)])
            try socket.bind(endpoint)
            let spec = MisbehavingEnvServerTests.spec
            let sizes = [spec.mapRows, spec.mapColumns, spec.cropSize, spec.glyphCount, spec.blstatsCount, spec.captionBytes, spec.actionCount].map(UInt32.init)
            @Sendable func observations() -> [NamedArray] {
                [NamedArray(name: "glyphs", shape: [envs, spec.mapRows, spec.mapColumns], values: [Int16](repeating: 0, count: envs * spec.glyphsPerEnv)),
                 NamedArray(name: "crop", shape: [envs, spec.cropSize, spec.cropSize], values: [Int16](repeating: 0, count: envs * spec.cropPerEnv)),
                 NamedArray(name: "blstats", shape: [envs, spec.blstatsCount], values: [Int32](repeating: 0, count: envs * spec.blstatsCount)),
                 NamedArray(name: "caption", shape: [envs, spec.captionBytes], values: [UInt8](repeating: 0, count: envs * spec.captionBytes)),
                 NamedArray(name: "caption_length", shape: [envs], values: [Int32](repeating: 0, count: envs))]
            }
            Thread.detachNewThread { [self] in
                defer { socket.close(); finished.signal() }
                while !done.load(ordering: .relaxed) {
                    guard let parts = try? socket.receive(), parts.count == 2,
                          let request = try? WireMessage.decode(parts[1].bytes) else { continue }
                    let reply: [UInt8]
                    switch request {
                    case .envOpen(let open):
                        reply = EnvSpecMessage(sequence: open.sequence, environment: "fake", task: "fake", numEnvs: declaredEnvs ?? UInt32(envs),
                                               sizes: sizes, observations: observations()).encoded()
                    case .envStep(let step):
                        let flags = [
                            NamedArray(name: "reward", shape: [envs], values: [Float](repeating: 0, count: envs)),
                            NamedArray(name: "done", shape: [envs], values: [UInt8](repeating: 1, count: envs)),
                            NamedArray(name: "truncated", shape: [envs], values: [UInt8](repeating: 0, count: envs))]
                        reply = EnvStepResult(sequence: step.sequence, arrays: observations() + flags, episodes: episodes).encoded()
                    case .envClose(let close):
                        reply = EnvError(sequence: close.sequence, message: "closed").encoded()
                    default:
                        continue
                    }
                    _ = try? socket.send(parts: [parts[0].bytes, reply])
                }
            }
        }

        func stop() {
            done.store(true, ordering: .relaxed)
            finished.wait()
            context.terminate()
        }
    }

    static func episode(env: UInt32 = 0, episodeReturn: Float = 1, length: UInt32 = 5, caption: String = "") -> EnvEpisode {
        EnvEpisode(env: env, episodeReturn: episodeReturn, length: length, success: false, truncated: false, lastCaption: caption, error: "")
    }

    static let badEpisodes: [(what: String, episodes: [EnvEpisode])] = [
        ("length", [episode(length: UInt32.max)]),
        ("length", [episode(length: 0)]),
        ("env out of", [episode(env: 2)]),
        ("reported twice", [episode(), episode()]),
        ("not finite", [episode(episodeReturn: .nan)]),
    ]

    @Test(arguments: badEpisodes.indices)
    func aStepReplyWithABadEpisodeIsTheServersFailureNotATrapNorARecordedEpisode(_ index: Int) throws {
        let (what, episodes) = Self.badEpisodes[index]
        let server = try FakeServer(envs: 2, episodes: episodes)
        defer { server.stop() }
        let reports = LogLines()
        let env = try RemoteVectorEnv(endpoints: [server.endpoint], seed: 1, context: server.context, timeout: 600,
                                      logger: Logger(label: "env") { _ in reports })
        try env.step(actions: [0, 1])
        #expect(env.serverFailures == 1)
        #expect(env.finishedEpisodes.isEmpty, "a bad episode was recorded: \(env.finishedEpisodes)")
        #expect(reports.lines.contains { $0.contains("episode of env") && $0.contains(what) }, "\(reports.lines)")
        // The failed server's envs end as truncated on that step.
        #expect(env.buffers.truncated[0] == 1 && env.buffers.truncated[1] == 1)
    }

    @Test func aLastCaptionLongerThanTheSpecIsCutToItOnACharacterBoundary() throws {
        let server = try FakeServer(envs: 2, episodes: [Self.episode(caption: String(repeating: "é", count: 20))])
        defer { server.stop() }
        let env = try RemoteVectorEnv(endpoints: [server.endpoint], seed: 1, context: server.context, timeout: 600, logger: Logger(label: "env"))
        try env.step(actions: [0, 1])
        #expect(env.serverFailures == 0)
        #expect(env.finishedEpisodes.map(\.lastCaption) == [String(repeating: "é", count: Self.spec.captionBytes / 2)])
    }

    @Test func aServerDeclaringMoreEnvsThanItsArraysOrTheLimitIsRefusedBeforeAnyBufferIsSized() throws {
        for declared in [UInt32.max, RemoteVectorEnv.maxEnvsPerServer + 1, 3] {
            let server = try FakeServer(envs: 2, declaredEnvs: declared, episodes: [])
            defer { server.stop() }
            #expect {
                _ = try RemoteVectorEnv(endpoints: [server.endpoint], seed: 1, context: server.context, timeout: 600, logger: Logger(label: "env"))
            } throws: { error in
                guard case RemoteEnvironmentError.protocolViolation(_, let detail) = error else { return false }
                return detail.contains("over the limit") || detail.contains("for \(declared) envs")
            }
        }
    }
}
