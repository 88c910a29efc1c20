import Testing
@testable import YendorAnnotator

@Suite struct RetryAfterTests {
    @Test func retryAfterHeaderParsesSecondsAndDates() {
        #expect(OpenAILabeler.parseRetryAfter("3") == .seconds(3))
        #expect(OpenAILabeler.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == .zero)  // in the past
        #expect(OpenAILabeler.parseRetryAfter("soon") == nil)
    }

    /// A server's header is peer input: huge values once trapped converting to milliseconds.
    @Test func hugeOrNonFiniteRetryAfterValuesAreClampedNotATrap() {
        let longest = Duration.milliseconds(Int64(Int32.max))
        #expect(OpenAILabeler.parseRetryAfter("1e300") == longest)
        #expect(OpenAILabeler.parseRetryAfter("inf") == longest)
        #expect(OpenAILabeler.parseRetryAfter("nan") == nil)
        #expect(OpenAILabeler.parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT") == longest)
    }
}
