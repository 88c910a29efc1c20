import Testing
import YendorWire

@Suite("Peer ids")
struct PeerIDTests {
    @Test func idsFollowTheRuleAndNothingElseIsValid() {
        for id in ["worker-nodeA-4711", "w", "a.b_c-d:e@f", String(repeating: "x", count: PeerID.maxLength)] {
            #expect(PeerID.isValid(id), "\(id)")
        }
        for id in ["", "*", "a b", "a\nb", "é", "a/b", String(repeating: "x", count: PeerID.maxLength + 1)] {
            #expect(!PeerID.isValid(id), "\(id)")
        }
    }

    /// A container's worker starts as PID 1 on every restart: its default id must not be the one its
    /// dead predecessor held (a learner refuses that id until it times out).
    @Test func aDefaultWorkerIDIsValidFitsAndIsNewAtEveryStartWithTheSamePID() {
        let first = PeerID.defaultWorkerID(host: "pod-7f9c", pid: 1), second = PeerID.defaultWorkerID(host: "pod-7f9c", pid: 1)
        #expect(first != second)
        #expect(first.hasPrefix("worker-pod-7f9c-1-") && first.count == "worker-pod-7f9c-1-".count + 6, "\(first)")
        let long = PeerID.defaultWorkerID(host: "a host/with odd é chars." + String(repeating: "h", count: 300), pid: 123_456)
        #expect(PeerID.isValid(long) && long.count == PeerID.maxLength && long.hasPrefix("worker-a-host-with-odd---chars.hh"), "\(long)")
        #expect(long.contains("-123456-"))
    }

    @Test func loggableTextHasNoLineBreaksOrEscapesAndIsCut() {
        #expect(PeerID.loggable("worker-1") == "worker-1")
        #expect(PeerID.loggable("*") == "\"*\"")
        #expect(PeerID.loggable("a\nb\r\t\"\\") == "\"a\\nb\\r\\t\\\"\\\\\"")
        #expect(PeerID.loggable("\u{1B}[31mred") == "\"\\u{1B}[31mred\"")
        // A right-to-left override would reorder what a reader sees.
        #expect(PeerID.loggable("a\u{202E}b") == "\"a\\u{202E}b\"")
        #expect(PeerID.loggable("the café") == "\"the café\"")
        #expect(PeerID.loggable("abcdef ", limit: 3) == "\"abc…\"")
        // Free text is escaped the same way but not quoted.
        #expect(PeerID.escaped("shutdown: bye\nFORGED line") == "shutdown: bye\\nFORGED line")
    }

    /// A WireError names fields a peer chose (an array's name): its description must not carry
    /// the line break that would forge a log line.
    @Test func wireErrorsShowAPeersFieldNamesEscaped() {
        let forged = "x\nFORGED worker admin joined"
        for error in [WireError.missingField(forged), .duplicateField(forged), .unknownDType(field: forged, code: 9),
                      .invalidShape(field: "obs", detail: forged), .invalidValue(field: forged, detail: "d")] {
            #expect(!error.description.contains("\n") && error.description.contains("x\\nFORGED"), "\(error)")
        }
        #expect(WireError.missingField("obs/crop").description == "missing array obs/crop")
    }
}
