/// A complete binary tree over `capacity` leaves holding, at each inner node, the sum and the
/// minimum of the leaves below it. Prioritized sampling uses it to draw a leaf with probability
/// leaf / total in O(log n), and to know the smallest probability for importance weights.
///
/// Inner nodes are recomputed from their two children on every update, so rounding error never
/// accumulates over many updates.
struct SumTree: Sendable, Equatable {
    /// Leaves, rounded up to a power of two; leaf i lives at node `leafCount + i`. Node 1 is the root.
    let leafCount: Int
    private(set) var sums: [Double]
    private(set) var mins: [Double]

    init(capacity: Int) {
        var n = 1
        while n < capacity { n *= 2 }
        leafCount = n
        sums = Array(repeating: 0, count: 2 * n)
        mins = Array(repeating: .infinity, count: 2 * n)
    }

    /// Sum of all leaves.
    var total: Double { sums[1] }
    /// Smallest occupied leaf; +infinity when the tree is empty.
    var minimum: Double { mins[1] }

    /// The value at leaf `i` (0 when empty).
    subscript(i: Int) -> Double { sums[leafCount + i] }

    /// Sets leaf `i` to `value`, or empties it when `value` is nil.
    mutating func set(_ i: Int, _ value: Double?) {
        var node = leafCount + i
        sums[node] = value ?? 0
        mins[node] = value ?? .infinity
        node /= 2
        while node >= 1 {
            sums[node] = sums[2 * node] + sums[2 * node + 1]
            mins[node] = min(mins[2 * node], mins[2 * node + 1])
            node /= 2
        }
    }

    /// The leaf whose cumulative range [prefix before it, prefix including it) holds `u`, for
    /// `u` in [0, total). Never returns an empty leaf while the total is positive: rounding that
    /// would step past the last occupied leaf goes left instead.
    func leaf(atPrefix u: Double) -> Int {
        var u = u
        var node = 1
        while node < leafCount {
            let left = 2 * node
            if u < sums[left] || sums[left + 1] <= 0 {
                node = left
            } else {
                u -= sums[left]
                node = left + 1
            }
        }
        return node - leafCount
    }
}
