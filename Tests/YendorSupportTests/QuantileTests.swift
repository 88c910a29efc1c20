import Testing
import YendorSupport

@Test func quantilesInterpolateBetweenOrderStatisticsComputedByHand() {
    let values: [Double] = [5, 1, 4, 2, 3]
    #expect(Quantile.of(values, 0) == 1)
    #expect(Quantile.of(values, 1) == 5)
    #expect(Quantile.of(values, 0.25) == 2)            // position 1
    #expect(Quantile.of(values, 0.9) == 4.6)           // position 3.6: 4 + 0.6 · (5 − 4)
    #expect(Quantile.of([Double](), 0.5) == nil)
    #expect(Quantile.of([Float(7)], 0.3) == 7)
}

@Test func theMedianIsTheMiddleValueOrTheMeanOfTheTwoMiddleOnes() {
    #expect(Quantile.median([3.0, 1, 2]) == 2)
    #expect(Quantile.median([4.0, 1, 3, 2]) == 2.5)
    #expect(Quantile.median([Double]()) == 0)
}
