import Testing
@testable import YendorWire

/// A trajectory reaches the learner as a checked frame (another process) or as a value (this one);
/// both are read through one `TrajectoryBatchView`, which must show the same data and refuse the
/// same content whichever way it was made.
@Suite struct ReceivedTrajectoryTests {
    @Test func aValuesViewShowsWhatTheViewOfItsEncodedFrameShows() throws {
        var rng = TestRNG(seed: 21)
        for _ in 0..<200 {
            let batch = rng.batch()
            let viaValue = try batch.withView { TrajectoryBatch(copying: $0) }
            let viaFrame = try TrajectoryBatchView.withView(of: batch.encoded()) { TrajectoryBatch(copying: $0) }
            #expect(viaValue.encoded() == batch.encoded())
            #expect(viaValue.encoded() == viaFrame.encoded())
            try batch.withView { TrajectoryBatchViewTests().expectViewShows(batch, $0) }
        }
    }

    @Test func aValueWhoseColumnsDoNotMatchItsSizesNamesTheColumn() {
        var rng = TestRNG(seed: 23)
        var batch = rng.batch(steps: 3, envs: 2)
        batch.rewards.removeLast()
        #expect { try batch.withView { _ in () } } throws: { "\($0)".contains("rewards") }
        batch = rng.batch(steps: 3, envs: 2)
        batch.observations[0].shape = [3, 2, 3, 3]
        #expect { try batch.withView { _ in () } } throws: { "\($0)".contains("obs/crop") }
    }

    @Test func aFrameIsCheckedOnArrivalAndKeepsItsHeaderAndBytes() throws {
        var rng = TestRNG(seed: 24)
        let batch = rng.batch(steps: 4, envs: 3)
        let frame = try TrajectoryFrame(checking: batch.encoded())
        #expect(frame.workerID == batch.workerID && frame.task == batch.task && frame.policyVersion == batch.policyVersion)
        #expect(frame.steps == 4 && frame.envs == 3 && frame.episodes == batch.episodes)
        let received = ReceivedTrajectory.frame(frame)
        #expect(received.encoded() == batch.encoded(), "a checkpoint writes the frame as it came")
        #expect(try received.batch().encoded() == batch.encoded())
        #expect(received.sampleCount == 12)

        var corrupt = batch.encoded()
        corrupt[corrupt.count - 1] ^= 0xFF
        let decoded = #expect(throws: WireError.self) { try TrajectoryBatch.decode(corrupt) }
        let checked = #expect(throws: WireError.self) { try TrajectoryFrame(checking: corrupt) }
        #expect(decoded == checked, "a frame is refused exactly as the decoder refuses it")
    }

    @Test func theClaimedKindIsReadFromTheHeaderAlone() {
        var rng = TestRNG(seed: 25)
        let bytes = rng.batch(steps: 1, envs: 1).encoded()
        #expect(bytes.withUnsafeBytes { Envelope.claimedKind(of: $0) } == .trajectoryBatch)
        #expect(Heartbeat(id: "w", sequence: 1, timeNanos: 0, policyVersion: 1).encoded().withUnsafeBytes { Envelope.claimedKind(of: $0) } == .heartbeat)
        #expect([UInt8](repeating: 0, count: 5).withUnsafeBytes { Envelope.claimedKind(of: $0) } == nil)
    }
}
