import Testing
import YendorWire

@Suite("Label wire codes")
struct LabelCodeTests {
    @Test func everyLabelReadsBackFromItsCodeInItsMode() {
        for label in Label.allCases {
            #expect(Label(wireCode: label.wireCode, mode: label.mode) == label, "\(label)")
        }
    }

    @Test func codesAModeDoesNotHaveAreNoLabel() {
        #expect(Label(wireCode: 2, mode: .classification) == nil)
        #expect(Label(wireCode: 3, mode: .ranking) == nil)
        #expect(Label(wireCode: 255, mode: .classification) == nil)
    }

    @Test func anAnswerIsAClassificationOrAPreferenceNeverBoth() {
        let helpful = LabeledTask.classified("You kill the newt!", helpful: true)
        #expect(helpful.classification?.caption == "You kill the newt!" && helpful.classification?.helpful == true)
        #expect(helpful.preference == nil)
        let tie = LabeledTask.ranked("a", "b", .tie)
        #expect(tie.preference?.target == 0.5 && tie.classification == nil)
        #expect(LabeledTask.ranked("a", "b", .first).preference?.target == 1)
        #expect(LabeledTask.ranked("a", "b", .second).preference?.target == 0)
        // A label that does not fit its task answers nothing.
        #expect(LabeledTask(task: .classify(caption: "x"), label: .first).classification == nil)
        #expect(LabeledTask(task: .rank(first: "a", second: "b"), label: .helpful).preference == nil)
    }
}
