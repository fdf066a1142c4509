import Foundation

/// The Wilcoxon signed-rank test of paired differences (e.g. a metric per fold of two
/// variants), two-sided, as SciPy's `wilcoxon` with the default `zero_method="wilcox"`:
/// zero differences are dropped, tied magnitudes get average ranks.
public enum WilcoxonSignedRank {
    public struct Result: Codable, Equatable, Sendable {
        /// The smaller of the positive and negative rank sums.
        public var statistic: Double
        public var pValue: Double
        /// The non-zero differences the test used.
        public var pairs: Int
        /// Whether the p-value is exact (the full null distribution, up to 50 pairs) or normal-approximated.
        public var exact: Bool

        enum CodingKeys: String, CodingKey {
            case statistic, pairs, exact
            case pValue = "p_value"
        }
    }

    /// - Returns: nil with fewer than two non-zero differences.
    public static func test(_ differences: [Double]) -> Result? {
        let nonZero = differences.filter { $0 != 0 && $0.isFinite }
        let n = nonZero.count
        guard n >= 2 else { return nil }
        // Average ranks of |d|, doubled so that they are integers.
        let order = nonZero.indices.sorted { abs(nonZero[$0]) < abs(nonZero[$1]) }
        var doubledRanks = [Int](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n, abs(nonZero[order[j + 1]]) == abs(nonZero[order[i]]) { j += 1 }
            for k in i...j { doubledRanks[order[k]] = i + j + 2 }
            i = j + 1
        }
        let positive = nonZero.indices.filter { nonZero[$0] > 0 }.reduce(0) { $0 + doubledRanks[$1] }
        let total = doubledRanks.reduce(0, +)
        let statistic = min(positive, total - positive)
        if n <= 50 {
            // Null distribution of the doubled positive rank sum: each rank in or out with probability 1/2.
            var counts = [Double](repeating: 0, count: total + 1)
            counts[0] = 1
            for rank in doubledRanks {
                for sum in stride(from: total, through: rank, by: -1) { counts[sum] += counts[sum - rank] }
            }
            let all = counts.reduce(0, +)
            let tail = counts[0...statistic].reduce(0, +) / all
            return Result(statistic: Double(statistic) / 2, pValue: min(1, 2 * tail), pairs: n, exact: true)
        }
        let mean = Double(total) / 4, variance = doubledRanks.reduce(0.0) { $0 + Double($1 * $1) } / 16
        let z = (Double(statistic) / 2 - mean) / variance.squareRoot()
        return Result(statistic: Double(statistic) / 2, pValue: min(1, erfc(abs(z) / 2.0.squareRoot())), pairs: n, exact: false)
    }
}
