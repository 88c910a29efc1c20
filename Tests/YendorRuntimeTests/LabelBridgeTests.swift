import Dungeon
import Foundation
import Logging
import NetHack
import Synchronization
import Testing
import YendorAnnotator
@testable import YendorAnnotatorRole
import YendorEnvironment
import YendorMetrics
import YendorWire
import YendorRewards
import YendorTestSupport
import ZeroMQ
@testable import YendorRuntime

/// The learner's side of labelling: which goal it asks for, that answers for that goal reach the
/// reward model whatever text form the goal travelled in, and what it says when the annotator is silent.
@Suite("LabelBridge", .serialized)
struct LabelBridgeTests {
    /// "annotator unreachable" came once per timeout for as long as the annotator stayed away (720
    /// lines an hour at 5 s); now the gaps double from the timeout up to 5 minutes.
    @Test func unreachableWarningsComeLessOftenTheLongerTheAnnotatorIsAway() {
        #expect((1...8).map { LabelBridge.warningInterval(afterWarnings: $0, timeout: 5) } == [5, 10, 20, 40, 80, 160, 300, 300])
        #expect(LabelBridge.warningInterval(afterWarnings: 3, timeout: 600) == 600, "a timeout over 5 minutes is the gap")
    }

    @Test func everyDungeonAndNetHackTaskDeclaresTheGoalItsAnnotatorIsAskedFor() throws {
        var c = TrainingConfiguration()
        let expected: [String: Goal] = [
            "score": .score, "staircase": .stairs, "staircase-lvl3": .stairs, "staircase-lvl4-continual": .stairs,
            "keyroom": .custom("find the key, unlock the locked door and go down the staircase"),
            "oracle": .oracle,
        ]
        for (task, goal) in expected {
            c.env.task = task
            #expect(c.resolvedGoal == goal, "\(task)")
            #expect(try TaskRegistry.task(named: task).annotatorGoal == goal)
        }
        c.env.kind = .nle
        for (task, goal) in ["score": Goal.score, "gold": .gold, "staircase-lvl3": .stairs, "oracle": .oracle, "oracle-extended": .oracle] {
            c.env.task = task
            #expect(c.resolvedGoal == goal, "nle \(task)")
        }
    }

    @Test func anExplicitRewardGoalOverridesTheTasksAndAnEmptyOneIsRefusedNamingTheField() throws {
        var c = TrainingConfiguration()
        c.env.task = "keyroom"
        let table = TrainingConfiguration.table
        try table.set("reward.goal", "combat", in: &c, source: "--set")
        #expect(c.resolvedGoal == .combat)
        try table.set("reward.goal", "custom:pick up the key", in: &c, source: "--set")
        #expect(c.resolvedGoal == .custom("pick up the key"))
        try table.set("reward.goal", "pick up the key", in: &c, source: "--set")
        #expect(c.resolvedGoal == .custom("pick up the key"))
        #expect(table.value("reward.goal", in: c) == "custom:pick up the key")
        try table.set("reward.goal", "auto", in: &c, source: "--set")
        #expect(c.resolvedGoal == .custom("find the key, unlock the locked door and go down the staircase"))
        #expect(throws: ConfigurationError.self) { try table.set("reward.goal", "  ", in: &c, source: "--set") }
        do { try table.set("reward.goal", "  ", in: &c, source: "--set") } catch let error as ConfigurationError {
            #expect(error.field == "reward.goal")
            #expect("\(error)".contains("auto, score, gold, combat, stairs, oracle, custom:<text> or free text"))
        }
    }

    @Test func aFreeTextGoalIsTheSameGoalWithOrWithoutItsCustomPrefix() throws {
        let text = "find the key, unlock the locked door and go down the staircase"
        #expect(try Goal(wireText: text) == Goal(wireText: "custom:" + text))
        #expect(try Goal(wireText: "stairs") == .stairs)
        // What the bridge compares: the goal of a remote answer, read from the wire.
        func goalOfAnswer(_ wireGoal: String) -> Goal? {
            AnnotationResult(requestID: 1, goal: wireGoal, mode: .classification, labeler: "test",
                             entries: [.init(item: .classify(caption: "c"), outcome: .label(.helpful))]).labeledTasks?.goal
        }
        let goal = Goal.custom(text)
        #expect(goalOfAnswer("custom:" + text) == goal, "the annotator echoes the normalised form")
        #expect(goalOfAnswer(text) == goal)
        #expect(goalOfAnswer("stairs") != goal)
        #expect(goalOfAnswer("custom:another goal") != goal)
    }

    /// A `yendor annotator` process on ipc endpoints of its own (its store in a scratch directory),
    /// and a client that has heard it.
    static func annotatorProcessAndClient(_ name: String) async throws
        -> (process: ChildProcess, client: AnnotatorClient, context: Context, requests: String)
    {
        let dir = Scratch.root.appendingPathComponent("yendor-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let requests = ChildProcess.ipcEndpoint("\(name)-requests"), labels = ChildProcess.ipcEndpoint("\(name)-labels")
        let annotator = try ChildProcess(yendor: ["annotator", "--requests", requests, "--labels", labels,
                                                  "--store", dir.appendingPathComponent("labels.sqlite").path])
        #expect(await annotator.waitForLine(timeout: 600) { $0.hasPrefix("annotator ready") } != nil, "\(annotator.standardError)")
        let context = try Context()
        var cc = AnnotatorClient.Configuration()
        cc.requestsEndpoint = requests
        cc.labelsEndpoint = labels
        let client = try await AnnotatorClient(configuration: cc, context: context, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(await client.waitForAnnotator(timeout: .seconds(600)))
        return (annotator, client, context, requests)
    }

    /// Bug from issue 15: a remote annotator answers a free-text goal as `custom:<text>`; the
    /// bridge used to compare that with the raw text and dropped every label.
    @Test(arguments: [Goal.stairs, .custom("find the key, unlock the locked door and go down the staircase")])
    func labelsFromAnAnnotatorProcessReachTheBridgeForBuiltInAndFreeTextGoals(goal: Goal) async throws {
        let (annotator, client, context, _) = try await Self.annotatorProcessAndClient("bridge")
        defer { annotator.kill(); context.terminate() }
        let bridge = LabelBridge(goal: goal)
        let running = Task { await bridge.run(client, timeout: 60, logger: Logger(label: "test")) }
        let captions = ["You see here a key.  You go down the stairs.", "It's a wall."]
        for caption in captions { #expect(bridge.queries.trySend(.classify(caption: caption))) }
        var received: [String: Bool] = [:]
        let reading = Task {
            var got: [String: Bool] = [:]
            while got.count < captions.count, let answer = await bridge.answers.receive() {
                if let (caption, helpful) = answer.classification { got[caption] = helpful }
            }
            return got
        }
        let hangGuard = Task { try? await Task.sleep(for: .seconds(600)); _ = bridge.answers.close() }
        received = await reading.value
        hangGuard.cancel()
        running.cancel()
        await running.value
        await client.close()
        #expect(Set(received.keys) == Set(captions), "labels for \(goal) arrive; client: \(client.metrics.snapshot())")
        #expect(received[captions[0]] == true && received[captions[1]] == false, "\(received)")
    }

    /// Runs a bridge with `timeout` to an annotator process, stops the process with SIGTERM and
    /// waits until the bridge logs a line containing `awaited(requests endpoint)`; returns its log,
    /// whether that line came, and whether the bridge then took the annotator as reachable.
    static func bridgeLog(stopping name: String, timeout: Double, awaiting awaited: (String) -> String) async throws
        -> (log: LogLines, logged: Bool, reachable: Bool?) {
        let (annotator, client, context, requests) = try await annotatorProcessAndClient(name)
        defer { annotator.kill(); context.terminate() }
        let log = LogLines()
        let bridge = LabelBridge(goal: .stairs)
        let running = Task { await bridge.run(client, timeout: timeout, logger: Logger(label: "test", factory: { _ in log })) }
        annotator.signal(SIGTERM)
        #expect(await annotator.waitForExit(timeout: 600) == 0)
        let line = awaited(requests)
        let logged = await log.waitFor(timeout: 600) { $0.contains(line) }
        let reachable = bridge.annotatorLiveness?.reachable
        running.cancel()
        await running.value
        await client.close()
        return (log, logged, reachable)
    }

    /// An annotator stopped with SIGTERM says Goodbye: the learner says it stopped at once, where it
    /// said "no reply for 5 s" a timeout later, as after a crash.
    @Test func aBridgeSaysAtOnceThatItsAnnotatorStoppedWhenItSaysGoodbye() async throws {
        // A timeout no test waits out: only the Goodbye can make it say so.
        let (log, logged, reachable) = try await Self.bridgeLog(stopping: "bye", timeout: 3600) { "annotator at \($0) stopped (its Goodbye: shutdown)" }
        #expect(logged, "\(log.lines)")
        #expect(reachable == false)
    }

    /// While it stays stopped the learner reminds, on the unreachable warnings' schedule, in words
    /// of its own: the same "stopped" line again read as another stop (trial D1).
    @Test func aStoppedAnnotatorIsSaidOnceAndThenRemindedOf() async throws {
        let (log, logged, _) = try await Self.bridgeLog(stopping: "bye-again", timeout: 1) { "annotator at \($0) still stopped, " }
        #expect(logged, "\(log.lines)")
        #expect(log.lines.filter { $0.contains("stopped (its Goodbye: shutdown)") }.count == 1, "\(log.lines)")
    }

    /// Also when the annotator's host is a name that does not resolve, which the warning says:
    /// libzmq retries such a name quietly, so it read as an annotator that is down.
    @Test(arguments: [true, false])
    func aBridgeToAnAnnotatorThatNeverAnswersSaysSoInItsStatusAndLog(hostResolves: Bool) async throws {
        let context = try Context()
        defer { context.terminate() }
        var cc = AnnotatorClient.Configuration()
        // RFC 6761: a .invalid name never resolves, with a DNS server or without one.
        cc.requestsEndpoint = hostResolves ? ChildProcess.ipcEndpoint("nobody-requests") : "tcp://no-such-annotator.invalid:\(ChildProcess.freePort())"
        cc.labelsEndpoint = hostResolves ? ChildProcess.ipcEndpoint("nobody-labels") : "tcp://no-such-annotator.invalid:\(ChildProcess.freePort())"
        let client = try await AnnotatorClient(configuration: cc, context: context, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let log = LogLines()
        let bridge = LabelBridge(goal: .stairs)
        let running = Task {
            await bridge.run(client, timeout: 0.5,
                             logger: Logger(label: "test", factory: { _ in log }))
        }
        defer { running.cancel() }
        let warned = await log.waitFor(timeout: 600) { $0.contains("annotator unreachable at \(cc.requestsEndpoint)") }
        #expect(warned, "\(log.lines)")
        let said = log.lines.filter { $0.contains("its host no-such-annotator.invalid does not resolve (") }
        #expect(said.isEmpty == hostResolves, "\(log.lines)")
        let liveness = try #require(bridge.annotatorLiveness)
        #expect(!liveness.reachable && liveness.silentSeconds > 0.5)
        let registry = MetricsRegistry(forwarding: .none)
        LearnerMetrics(registry: registry).record(liveness)
        #expect(registry["annotator/reachable"] == 0)
        #expect(registry["annotator/last_heard_s"] > 0.5)
        running.cancel()
        await running.value
        await client.close()
        #expect(LabelBridge(goal: .stairs).annotatorLiveness == nil, "an in-process annotator has no liveness to report")
    }
}
