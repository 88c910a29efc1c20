import Foundation
import Testing
import YendorSupport

/// A file that is not what a command expected is said in a line (trial C7: `play --replay` and
/// `annotator import` printed `DecodingError.dataCorrupted(Swift.DecodingError.Context(…))`).
@Suite struct DecodingErrorSummaryTests {
    struct Recording: Decodable {
        var seed: UInt64
        var actions: [Int]
    }

    func summary(of json: String) -> String? {
        do {
            _ = try JSONDecoder().decode(Recording.self, from: Data(json.utf8))
            return nil
        } catch let error as DecodingError {
            return error.summary
        } catch {
            return "\(error)"
        }
    }

    @Test func eachKindOfDecodingFailureIsSaidInALineNamingWhere() {
        #expect(summary(of: "hi") == "not valid JSON")
        #expect(summary(of: #"{"seed": 1}"#) == "\"actions\" is missing")
        #expect(summary(of: #"{"seed": "x", "actions": []}"#) == "\"seed\" has the wrong type (expected UInt64)")
        #expect(summary(of: #"{"seed": 1, "actions": [1, "b"]}"#) == "\"actions[1]\" has the wrong type (expected Int)")
        #expect(summary(of: #"{"seed": null, "actions": []}"#) == "\"seed\" is null, expected UInt64")
        #expect(summary(of: #"{"seed": 1, "actions": []}"#) == nil)
    }
}
