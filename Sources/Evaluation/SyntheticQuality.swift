import Datasets
import Foundation
import TensorCore

/// How close a synthetic set is to the real rows it imitates (written by `synthesize`).
public struct SyntheticQuality: Codable, Equatable, Sendable {
    /// One column's distance between real and synthetic values.
    public struct ColumnScore: Codable, Equatable, Sendable {
        public var name: String
        /// `ks` (Kolmogorov-Smirnov statistic) for numeric columns, `tv` (total variation) for categorical groups.
        public var statistic: String
        public var value: Double
    }

    // Each metric is nil (null in JSON) when it cannot be computed on these rows, with the
    // reason in `unavailable`: no NaN ever reaches a file.
    public var columns: [ColumnScore]
    /// Squared maximum mean discrepancy, RBF kernel with the median-distance bandwidth.
    public var mmd: Double?
    /// Classifier two-sample test: AUC of a logistic regression telling real from synthetic
    /// rows on held-out halves (0.5: indistinguishable).
    public var classifierAUC: Double?
    /// Median distance from a synthetic row to its closest real row.
    public var distanceToClosestRecord: Double?
    /// Share of synthetic rows identical to a real row.
    public var exactCopyRate: Double?
    /// Share of synthetic rows inside the real rows' k-NN balls (fidelity).
    public var precision: Double?
    /// Share of real rows inside the synthetic rows' k-NN balls (diversity).
    public var recall: Double?
    public var realRows: Int
    public var syntheticRows: Int
    /// Metric name → why it is null (absent when every metric was computed).
    public var unavailable: [String: String]?

    enum CodingKeys: String, CodingKey {
        case columns, mmd, precision, recall, unavailable
        case classifierAUC = "classifier_auc"
        case distanceToClosestRecord = "distance_to_closest_record"
        case exactCopyRate = "exact_copy_rate"
        case realRows = "real_rows"
        case syntheticRows = "synthetic_rows"
    }

    /// Writes a metric that could not be computed as `null` (not left out), beside its reason.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(columns, forKey: .columns)
        for (key, value) in [(CodingKeys.mmd, mmd), (.classifierAUC, classifierAUC), (.distanceToClosestRecord, distanceToClosestRecord),
                             (.exactCopyRate, exactCopyRate), (.precision, precision), (.recall, recall)] {
            try container.encode(value, forKey: key)
        }
        try container.encode(realRows, forKey: .realRows)
        try container.encode(syntheticRows, forKey: .syntheticRows)
        try container.encodeIfPresent(unavailable, forKey: .unavailable)
    }
}

/// The metrics of `SyntheticQuality`, each usable on its own.
public enum QualityMetrics {
    /// Compares synthetic rows with real ones (both in model space, same columns).
    /// - Parameter classifier: trains and scores the classifier two-sample test.
    public static func evaluate(real: Tensor, synthetic: Tensor, columns: [Column], neighbours: Int = 5,
                                classifier: TwoSampleClassifier, using rng: inout SeededRNG) throws -> SyntheticQuality {
        let groups = ColumnGroups(columns)
        var scores: [SyntheticQuality.ColumnScore] = []
        for block in groups.blocks {
            switch block {
            case .numeric(let j):
                scores.append(.init(name: columns[j].name, statistic: "ks",
                                    value: kolmogorovSmirnov((0..<real.rows).map { real[$0, j] }, (0..<synthetic.rows).map { synthetic[$0, j] })))
            case .oneHot(let range):
                func category(_ x: Tensor, _ r: Int) -> Int { (0..<range.count).max { x[r, range.lowerBound + $0] < x[r, range.lowerBound + $1] } ?? 0 }
                scores.append(.init(name: columns[range.lowerBound].originalName ?? columns[range.lowerBound].name, statistic: "tv",
                                    value: totalVariation((0..<real.rows).map { category(real, $0) },
                                                          (0..<synthetic.rows).map { category(synthetic, $0) }, categories: range.count)))
            }
        }
        var unavailable: [String: String] = [:]
        let rows = "\(real.rows) real and \(synthetic.rows) synthetic rows"
        /// The value when it is finite, else nil with the reason recorded.
        func finite(_ name: String, _ value: Double?, needs: String? = nil) -> Double? {
            if let value, value.isFinite { return value }
            unavailable[name] = needs ?? "not defined on \(rows)"
            return nil
        }
        let enough = real.rows >= 2 && synthetic.rows >= 2
        // The neighbour-based metrics on at most `neighbourRows` rows of each set (evenly spaced;
        // every real row for the distance to the closest one): their cost grows with the square
        // of the rows, their estimates hardly past that.
        let (nearReal, nearSynthetic) = (try evenlySpaced(real, at: neighbourRows), try evenlySpaced(synthetic, at: neighbourRows))
        let (median, copies) = real.rows >= 1 && synthetic.rows >= 1 ? try distanceToClosestRecord(nearSynthetic, real) : (.nan, .nan)
        let (precision, recall) = real.rows > neighbours && synthetic.rows > neighbours
            ? try manifoldPrecisionRecall(real: nearReal, synthetic: nearSynthetic, k: neighbours) : (.nan, .nan)
        let neighbourNeed = "needs more than \(neighbours) real and synthetic rows (k-NN balls), got \(rows)"
        var quality = SyntheticQuality(
            columns: scores,
            mmd: finite("mmd", enough ? meanDiscrepancy(real, synthetic) : nil, needs: enough ? nil : "needs at least 2 real and 2 synthetic rows, got \(rows)"),
            classifierAUC: finite("classifier_auc", enough ? try classifierTwoSampleAUC(real, synthetic, classifier: classifier, using: &rng) : nil,
                                  needs: enough ? nil : "needs at least 2 real and 2 synthetic rows (held-out halves), got \(rows)"),
            distanceToClosestRecord: finite("distance_to_closest_record", median), exactCopyRate: finite("exact_copy_rate", copies),
            precision: finite("precision", precision, needs: precision.isNaN ? neighbourNeed : nil),
            recall: finite("recall", recall, needs: recall.isNaN ? neighbourNeed : nil),
            realRows: real.rows, syntheticRows: synthetic.rows)
        quality.unavailable = unavailable.isEmpty ? nil : unavailable
        return quality
    }

    /// The largest gap between the two empirical distribution functions.
    public static func kolmogorovSmirnov(_ a: [Float], _ b: [Float]) -> Double {
        let x = a.filter { !$0.isNaN }.sorted(), y = b.filter { !$0.isNaN }.sorted()
        guard !x.isEmpty, !y.isEmpty else { return 1 }
        var i = 0, j = 0, worst = 0.0
        while i < x.count, j < y.count {
            let value = min(x[i], y[j])
            while i < x.count, x[i] == value { i += 1 }
            while j < y.count, y[j] == value { j += 1 }
            worst = max(worst, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        return worst
    }

    /// Half the L1 distance between the two category frequency vectors.
    public static func totalVariation(_ a: [Int], _ b: [Int], categories: Int) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 1 }
        var p = [Int](repeating: 0, count: categories), q = p
        for c in a where c < categories { p[c] += 1 }
        for c in b where c < categories { q[c] += 1 }
        return zip(p, q).reduce(0) { $0 + abs(Double($1.0) / Double(a.count) - Double($1.1) / Double(b.count)) } / 2
    }

    /// Squared MMD with an RBF kernel whose bandwidth is the median pairwise distance (up to 500 rows each).
    public static func meanDiscrepancy(_ a: Tensor, _ b: Tensor) -> Double {
        let x = (0..<min(a.rows, 500)).map { r in (0..<a.columns).map { Double(a[r, $0]) } }
        let y = (0..<min(b.rows, 500)).map { r in (0..<b.columns).map { Double(b[r, $0]) } }
        guard !x.isEmpty, !y.isEmpty else { return .nan }
        func distance(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        var pooled = (x + y).prefix(200).enumerated().flatMap { i, u in (x + y).prefix(200).enumerated().filter { $0.offset > i }.map { distance(u, $0.element) } }
        pooled.sort()
        let bandwidth = max(pooled.isEmpty ? 1 : pooled[pooled.count / 2], 1e-12)
        func kernelMean(_ p: [[Double]], _ q: [[Double]]) -> Double {
            var total = 0.0
            for u in p { for v in q { total += Foundation.exp(-distance(u, v) / bandwidth) } }
            return total / Double(p.count * q.count)
        }
        return max(0, kernelMean(x, x) + kernelMean(y, y) - 2 * kernelMean(x, y))
    }

    /// The most rows of each set that manifold precision and recall are measured on, and of
    /// synthetic rows whose distance to the closest real row is measured.
    public static let neighbourRows = 10_000

    /// `rows` evenly spaced rows of `x` (all of them when it has no more).
    static func evenlySpaced(_ x: Tensor, at rows: Int) throws -> Tensor {
        guard x.rows > rows else { return x }
        return try x.gatherRows((0..<rows).map { $0 * x.rows / rows })
    }

    /// Median distance from each synthetic row to its nearest real row, and the share at distance 0.
    public static func distanceToClosestRecord(_ synthetic: Tensor, _ real: Tensor) throws -> (median: Double, exactCopyRate: Double) {
        let nearest = try NearestNeighbors.search(synthetic, in: real, k: 1)
        let distances = nearest.enumerated().map { r, list -> Double in
            let j = list[0]
            return Double(synthetic.squaredDistance(row: r, to: real, row: j).squareRoot())
        }.sorted()
        guard !distances.isEmpty else { return (.nan, 0) }
        return (distances[distances.count / 2], Double(distances.filter { $0 == 0 }.count) / Double(distances.count))
    }

    /// Improved precision and recall (Kynkäänniemi et al. 2019): a row is covered when it
    /// lies within the k-th nearest-neighbour radius of some row of the other set.
    public static func manifoldPrecisionRecall(real: Tensor, synthetic: Tensor, k: Int) throws -> (precision: Double, recall: Double) {
        func radii(_ x: Tensor) throws -> [Float] {
            let lists = try NearestNeighbors.search(x, in: x, k: k, excludeSelf: true)
            return lists.enumerated().map { r, list in list.last.map { x.squaredDistance(row: r, to: x, row: $0) } ?? 0 }
        }
        func coverage(_ queries: Tensor, by points: Tensor, radii: [Float]) throws -> Double {
            let covered = try NearestNeighbors.covered(queries, by: points, radii: radii).filter { $0 }.count
            return Double(covered) / Double(max(queries.rows, 1))
        }
        return (try coverage(synthetic, by: real, radii: try radii(real)), try coverage(real, by: synthetic, radii: try radii(synthetic)))
    }

    /// A classifier for the two-sample test: trained on rows with labels (0 real,
    /// 1 synthetic), it scores other rows (higher = more synthetic). The caller supplies
    /// it (`Models.TwoSampleClassifier.logistic`): metrics take scores, models live in Models.
    public typealias TwoSampleClassifier = (_ train: Tensor, _ labels: [UInt8], _ test: Tensor, _ rng: inout SeededRNG) throws -> [Float]

    /// Trains `classifier` to tell real (0) from synthetic (1) rows on one half and scores
    /// the other half, both ways; returns the mean held-out ROC-AUC.
    public static func classifierTwoSampleAUC(_ real: Tensor, _ synthetic: Tensor, classifier: TwoSampleClassifier,
                                              using rng: inout SeededRNG) throws -> Double {
        let rows = try Tensor(shape: [real.rows + synthetic.rows, real.columns], scalars: real.scalars + synthetic.scalars)
        let labels = [UInt8](repeating: 0, count: real.rows) + [UInt8](repeating: 1, count: synthetic.rows)
        guard real.rows >= 2, synthetic.rows >= 2 else { return .nan }
        let order = rng.permutation(rows.rows)
        let halves = [Array(order.prefix(order.count / 2)), Array(order.suffix(order.count - order.count / 2))]
        var aucs: [Double] = []
        for (train, test) in [(halves[0], halves[1]), (halves[1], halves[0])] {
            let scores = try classifier(try rows.gatherRows(train), train.map { labels[$0] }, try rows.gatherRows(test), &rng)
            if let auc = rocAUC(scores: scores, labels: test.map { labels[$0] }) { aucs.append(auc) }
        }
        return aucs.isEmpty ? .nan : aucs.reduce(0, +) / Double(aucs.count)
    }
}
