import TensorCore

/// Threshold-free and thresholded detection metrics on anomaly scores (higher = more
/// anomalous) against labels (1 = anomaly).
public enum DetectionMetrics {
    /// Average precision (scikit-learn's definition): the sum over thresholds of
    /// (recall step) x precision, with tied scores taken together.
    /// - Returns: nil without positives.
    public static func averagePrecision(scores: [Float], labels: [UInt8]) -> Double? {
        let ranked = RankedScores(scores: scores, labels: labels)
        return ranked.averagePrecision(counts: ranked.everyRowOnce)
    }

    /// Counts of a thresholded prediction (`score >= threshold` means anomaly).
    public struct Confusion: Codable, Equatable, Sendable {
        public var truePositives = 0, falsePositives = 0, trueNegatives = 0, falseNegatives = 0

        public init(scores: [Float], labels: [UInt8], threshold: Float) {
            for (score, label) in zip(scores, labels) {
                switch (score >= threshold, label == 1) {
                case (true, true): truePositives += 1
                case (true, false): falsePositives += 1
                case (false, false): trueNegatives += 1
                case (false, true): falseNegatives += 1
                }
            }
        }

        public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
        public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
        public var specificity: Double { ratio(trueNegatives, trueNegatives + falsePositives) }
        public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
        /// Geometric mean of recall and specificity.
        public var gmean: Double { (recall * specificity).squareRoot() }

        private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

        enum CodingKeys: String, CodingKey {
            case truePositives = "tp", falsePositives = "fp", trueNegatives = "tn", falseNegatives = "fn"
        }
    }

    /// The threshold with the best F1 on (validation) scores, found in one sweep over the
    /// sorted scores (ties taken together; between equal F1s, the lower cut).
    /// - Parameter midpoint: false: the lowest score of the best cut; true: halfway between
    ///   it and the next lower score — the same F1 on these scores, with the most room on
    ///   both sides for scores not seen yet.
    public static func bestF1Threshold(scores: [Float], labels: [UInt8], midpoint: Bool = false) -> Float? {
        let positives = labels.filter { $0 == 1 }.count
        guard !scores.isEmpty, positives > 0 else { return nil }
        let cuts = thresholdSweep(scores: scores, labels: labels)
        var best = (f1: -1.0, index: 0)
        for (index, cut) in cuts.enumerated() {
            let f1 = 2 * Double(cut.truePositives) / Double(cut.predicted + positives)
            if f1 >= best.f1 { best = (f1, index) }
        }
        let threshold = cuts[best.index].threshold
        guard midpoint, best.index + 1 < cuts.count else { return threshold }
        return threshold / 2 + cuts[best.index + 1].threshold / 2
    }

    /// Every distinct score as a threshold, highest first, with the rows predicted anomalous
    /// (`score >= threshold`) and the true positives among them.
    public static func thresholdSweep(scores: [Float], labels: [UInt8]) -> [(threshold: Float, predicted: Int, truePositives: Int)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var result: [(threshold: Float, predicted: Int, truePositives: Int)] = []
        var truePositives = 0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for k in i...j where labels[order[k]] == 1 { truePositives += 1 }
            result.append((scores[order[i]], j + 1, truePositives))
            i = j + 1
        }
        return result
    }

    /// The ROC curve's points (false positive rate, true positive rate), from (0, 0) to (1, 1).
    /// - Returns: nil when either class is empty.
    public static func rocCurve(scores: [Float], labels: [UInt8]) -> [(x: Double, y: Double)]? {
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        return [(0, 0)] + thresholdSweep(scores: scores, labels: labels).map {
            (Double($0.predicted - $0.truePositives) / Double(negatives), Double($0.truePositives) / Double(positives))
        }
    }

    /// The precision-recall curve's points (recall, precision), from recall 0 at precision 1.
    /// - Returns: nil without positives.
    public static func precisionRecallCurve(scores: [Float], labels: [UInt8]) -> [(x: Double, y: Double)]? {
        let positives = labels.filter { $0 == 1 }.count
        guard positives > 0 else { return nil }
        return [(0, 1)] + thresholdSweep(scores: scores, labels: labels).map {
            (Double($0.truePositives) / Double(positives), Double($0.truePositives) / Double($0.predicted))
        }
    }

    /// The score above which the given share of rows lies (a contamination quantile).
    public static func contaminationThreshold(scores: [Float], contamination: Double) -> Float? {
        guard !scores.isEmpty, contamination > 0, contamination < 1 else { return nil }
        let sorted = scores.sorted(by: >)
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * contamination).rounded(.up)) - 1))]
    }

    /// Share of anomalies among the `k` highest scores.
    public static func precisionAtK(scores: [Float], labels: [UInt8], k: Int) -> Double? {
        guard k >= 1, !scores.isEmpty else { return nil }
        let top = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(k)
        return Double(top.filter { labels[$0] == 1 }.count) / Double(top.count)
    }

    /// The 2.5th and 97.5th percentiles of bootstrap values; nil for fewer than 10.
    public static func percentileInterval(_ values: [Double]) -> (low: Double, high: Double)? {
        guard values.count >= 10 else { return nil }
        let sorted = values.sorted()
        return (sorted[Int(0.025 * Double(sorted.count - 1))], sorted[Int((0.975 * Double(sorted.count - 1)).rounded())])
    }
}
