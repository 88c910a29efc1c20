import Testing
@testable import YendorAnnotator

@Suite struct RetryAfterTests {
    @Test func retryAfterHeaderParsesSecondsAndDates() {
        #expect(OpenAILabeler.parseRetryAfter("3") == .seconds(3))
        #expect(OpenAILabeler.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == .zero)  // in the past
        #expect(OpenAILabeler.parseRetryAfter("soon") == nil)
    }
}
