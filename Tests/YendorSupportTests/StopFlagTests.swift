import Testing
import YendorSupport

@Suite struct StopFlagTests {
    /// The learner's update stop follows the process's signal flag: a signal stops the update, and
    /// the learner stopping itself must not read as a signal to the rest of the process.
    @Test func aFollowingFlagIsRaisedByItsParentButNeverRaisesIt() {
        let parent = StopFlag()
        let child = StopFlag(following: parent)
        #expect(!parent.isSet && !child.isSet)
        child.set()
        #expect(child.isSet && !parent.isSet)

        let other = StopFlag(following: parent)
        parent.set()
        #expect(parent.isSet && other.isSet)
    }

    /// A raised flag, its own or its parent's, ends a sleep at once instead of after the whole duration.
    @Test func sleepThrowsOnceTheFlagIsRaised() {
        let parent = StopFlag()
        let flag = StopFlag(following: parent)
        parent.set()
        #expect(throws: CancellationError.self) { try flag.sleep(for: .seconds(3600)) }
    }
}
