/// The project's one quantile routine (exact, over all values; rolling latency percentiles use
/// hdrhistogram-swift instead).
public enum Quantile {
    /// The q-quantile (0 ≤ q ≤ 1) of `values`, interpolating linearly between order statistics at
    /// position q·(n−1) of the sorted values; nil when there are none.
    public static func of<T: BinaryFloatingPoint>(_ values: [T], _ q: Double) -> T? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let position = min(max(q, 0), 1) * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = T(position - Double(lower))
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    /// The median: the middle value, or the mean of the two middle values for an even count;
    /// 0 when there are none (for printed benchmark figures).
    public static func median<T: BinaryFloatingPoint>(_ values: [T]) -> T { of(values, 0.5) ?? 0 }
}
