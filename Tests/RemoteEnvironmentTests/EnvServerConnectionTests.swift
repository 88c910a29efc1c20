import Foundation
import Testing
import YendorSupport
import YendorTestSupport
import YendorWire
import ZeroMQ
@testable import RemoteEnvironment

/// One connection to a real env server, waiting for its replies.
@Suite(.serialized, .enabled(if: EnvServerFixture.available, "needs .venv with yendor-env (make deps)"))
struct EnvServerConnectionTests {
    /// Past its deadline a wait still reads a reply that has come: a worker that was not running
    /// (SIGSTOP, a loaded machine) until after the deadline found the server's reply unread and
    /// counted the server as failed, resetting its episodes (trial C).
    @Test func aReplyThatCameBeforeTheWaitIsReadEvenPastTheDeadline() async throws {
        let (server, endpoint) = try EnvServerTests.serve("YendorTest-Grid-v0", envs: 1)
        defer { server.kill() }
        let context = try Context()
        defer { context.terminate() }
        let connection = EnvServerConnection(endpoint: endpoint, context: context, timeout: 600, stop: StopFlag())
        try connection.reconnect()
        try connection.send { EnvDescribe(sequence: $0).encoded() }
        // Each wait's deadline has passed before it starts; the reply is taken once it is there.
        let past = ContinuousClock.now - .seconds(1)
        var reply: WireMessage?
        #expect(await Poll.until(timeout: 600) {
            reply = try? connection.receive(until: past)
            return reply != nil
        })
        guard case .envSpec(let spec)? = reply else {
            Issue.record("expected EnvSpec, got \(String(describing: reply))")
            return
        }
        #expect(spec.numEnvs == 1)
    }
}
