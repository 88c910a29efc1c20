import Foundation
import Synchronization
import Testing
import YendorWire
@testable import YendorAnnotator
@testable import YendorAnnotatorRole

@Suite struct AnnotatorConnectionTests {
    /// The wire's label codes are written by `LabelOutcome.wireOutcome` and read by
    /// `AnnotationResult.labeledTasks`, both in AnnotationWireMapping: every label survives the trip.
    @Test func everyLabelCrossesTheWireAndBack() {
        let cases: [(LabelRequest, Label)] = [
            (.classify("You kill the jackal!", goal: .combat), .helpful),
            (.classify("It's a wall.", goal: .combat), .notHelpful),
            (.rank("a", "b", goal: .stairs), .first),
            (.rank("a", "b", goal: .stairs), .second),
            (.rank("a", "b", goal: .custom("find the key")), .tie),
        ]
        for (request, label) in cases {
            let result = LabelResult(request: request, answer: LabelerAnswer(outcome: .labeled(label), rawResponse: "", latency: .zero), source: .labeler)
            let wire = result.wireResult(requestID: 1, labeler: LabelerIdentity(backend: "test", model: "m", promptVersion: "1"))
            let back = wire.labeledTasks
            #expect(back?.goal == request.goal, "\(request) \(label)")
            #expect(back?.tasks == [LabeledTask(task: request.task, label: label)], "\(request) \(label)")
        }
    }

    @Test func labelsAndItemsOfAnotherModeAndUnlabeledEntriesAreLeftOut() {
        let entries: [AnnotationResult.Entry] = [
            .init(item: .classify(caption: "two"), outcome: .label(.tie)),  // a ranking label in a classification message
            .init(item: .classify(caption: "pending"), outcome: .pending),
            .init(item: .classify(caption: "failed"), outcome: .error(.backend, "down")),
            .init(item: .rank(first: "a", second: "b"), outcome: .label(.second)),  // a pair in a classification message
            .init(item: .classify(caption: "kept"), outcome: .label(.helpful)),
        ]
        let results = AnnotationResult(requestID: 1, goal: "stairs", mode: .classification, labeler: "t", entries: entries).labeledTasks
        #expect(results?.goal == .stairs)
        #expect(results?.tasks.map(\.task) == [.classify(caption: "kept")])
        #expect(AnnotationResult(requestID: 1, goal: " ", mode: .classification, labeler: "t",
                                 entries: [.init(item: .classify(caption: "x"), outcome: .label(.helpful))]).labeledTasks == nil)
    }

    @Test func anInProcessConnectionAnswersKnownLabelsAtOnceAndTheRestAsTheyCome() async throws {
        let annotator = try Annotator(labeler: RecordingLabeler(), store: temporaryStore().0, configuration: .init(), logger: testLogger)
        let connection = InProcessAnnotatorConnection(annotator)
        #expect(!connection.canGoSilent && connection.lastHeard == nil)
        let request = LabelRequest.classify("You kill the jackal!", goal: .combat)
        let answers = Mutex<[LabelRequest]>([])
        let reading = Task {
            await connection.forEachAnswer { goal, labeled in answers.withLock { $0.append(LabelRequest(goal: goal, task: labeled.task)) } }
        }
        // Waits for the subscription (the event), polling without keeping a thread of the pool busy.
        while await annotator.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(await connection.ask([request]).isEmpty, "nothing is known before the labeler answers")
        await annotator.waitUntilIdle()
        let known = await connection.ask([request])
        #expect(known.map(\.outcome) == [.labeled(.helpful)] && known.first?.source == .store)
        reading.cancel()
        await annotator.shutdown()
        await reading.value
        #expect(answers.withLock { $0 } == [request])
    }
}
