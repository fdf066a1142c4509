import TensorCore

/// Scores sorted once into groups of equal score, so that ROC-AUC and average precision
/// of any resample take one sequential pass instead of a sort. A resample is a count per
/// rank position (`counts[p]` copies of the row at position `p` of the ascending order):
/// the bootstrap draws row indices and counts them where their rows rank, so every pass
/// reads memory in order. `rocAUC` and `averagePrecision` of one copy of every row equal
/// those of the rows to the bit.
public struct RankedScores: Sendable {
    /// Row indices by ascending score; the rows of group `g` (one distinct score) sit at
    /// positions `groupStarts[g] ..< groupStarts[g + 1]`.
    private let order: [Int]
    private let groupStarts: [Int]
    /// Whether the row at each position is an anomaly.
    private let anomalous: [Bool]
    /// The position of each row in `order`.
    private let positionOf: [Int]

    public init(scores: [Float], labels: [UInt8]) {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var starts: [Int] = []
        var i = 0
        while i < order.count {
            starts.append(i)
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            i = j + 1
        }
        starts.append(order.count)
        self.order = order
        groupStarts = starts
        anomalous = order.map { labels[$0] == 1 }
        var positionOf = [Int](repeating: 0, count: order.count)
        for (position, row) in order.enumerated() { positionOf[row] = position }
        self.positionOf = positionOf
    }

    /// One copy of every row.
    public var everyRowOnce: [Int32] { [Int32](repeating: 1, count: order.count) }

    /// The resample of `rows` (row indices, repeats allowed) as counts by rank position.
    public func counts(ofRows rows: some Sequence<Int>) -> [Int32] {
        var counts = [Int32](repeating: 0, count: order.count)
        for row in rows { counts[positionOf[row]] += 1 }
        return counts
    }

    /// Anomalies and normal rows of group `g` in a resample.
    @inline(__always)
    private func tally(_ g: Int, _ counts: UnsafeBufferPointer<Int32>) -> (positives: Int, negatives: Int) {
        var positives = 0, negatives = 0
        for position in groupStarts[g]..<groupStarts[g + 1] {
            if anomalous[position] { positives += Int(counts[position]) } else { negatives += Int(counts[position]) }
        }
        return (positives, negatives)
    }

    /// Anomalies and normal rows in a resample.
    private func totals(_ counts: UnsafeBufferPointer<Int32>) -> (positives: Int, negatives: Int) {
        var positives = 0, negatives = 0
        for position in 0..<counts.count {
            if anomalous[position] { positives += Int(counts[position]) } else { negatives += Int(counts[position]) }
        }
        return (positives, negatives)
    }

    /// ROC-AUC of the resample `counts` (by rank position; Mann-Whitney, ties as half); nil
    /// when a class is absent.
    public func rocAUC(counts: [Int32]) -> Double? {
        counts.withUnsafeBufferPointer { counts in
            let (positives, negatives) = totals(counts)
            guard positives > 0, negatives > 0 else { return nil }
            var rankSum = 0.0, before = 0
            for g in 0..<(groupStarts.count - 1) {
                let tally = tally(g, counts)
                let size = tally.positives + tally.negatives
                guard size > 0 else { continue }
                rankSum += Double(tally.positives) * (Double(2 * before + size - 1) / 2 + 1)
                before += size
            }
            return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
        }
    }

    /// Average precision of the resample `counts` (by rank position; highest scores first,
    /// tied groups together); nil without anomalies.
    public func averagePrecision(counts: [Int32]) -> Double? {
        counts.withUnsafeBufferPointer { counts in
            let positives = totals(counts).positives
            guard positives > 0 else { return nil }
            var truePositives = 0, seen = 0, previousRecall = 0.0, total = 0.0
            for g in (0..<(groupStarts.count - 1)).reversed() {
                let tally = tally(g, counts)
                guard tally.positives + tally.negatives > 0 else { continue }
                truePositives += tally.positives
                seen += tally.positives + tally.negatives
                let recall = Double(truePositives) / Double(positives)
                total += (recall - previousRecall) * Double(truePositives) / Double(seen)
                previousRecall = recall
            }
            return total
        }
    }

    /// The 95% percentile interval of `metric` over `resamples` bootstrap resamples (each
    /// draws as many row indices as there are rows, with replacement); nil when fewer than
    /// 10 resamples define the metric.
    public func bootstrapInterval(resamples: Int, using rng: inout SeededRNG, _ metric: (RankedScores, [Int32]) -> Double?) -> (low: Double, high: Double)? {
        let rows = order.count
        var values: [Double] = []
        var counts = [Int32](repeating: 0, count: rows)
        for _ in 0..<resamples {
            for i in counts.indices { counts[i] = 0 }
            for _ in 0..<rows { counts[positionOf[rng.index(below: rows)]] += 1 }
            if let value = metric(self, counts) { values.append(value) }
        }
        return DetectionMetrics.percentileInterval(values)
    }
}
