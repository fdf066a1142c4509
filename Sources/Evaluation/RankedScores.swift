/// Scores sorted once into groups of equal score, so that ROC-AUC and average precision
/// of any resample (a count per row, as the bootstrap draws) take one linear pass instead
/// of a sort; `rocAUC` and `averagePrecision` are the case of one copy of every row, so a
/// resample's values equal those of its rows to the bit.
public struct RankedScores: Sendable {
    /// Row indices of each distinct score, lowest score first.
    private let groups: [[Int]]
    private let labels: [UInt8]

    public init(scores: [Float], labels: [UInt8]) {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var groups: [[Int]] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            groups.append(Array(order[i...j]))
            i = j + 1
        }
        self.groups = groups
        self.labels = labels
    }

    /// Anomalies and normal rows of each group in a resample (`counts[row]` copies of each row).
    private func tallies(_ counts: [Int]) -> [(positives: Int, negatives: Int)] {
        groups.map { rows in
            rows.reduce(into: (positives: 0, negatives: 0)) { tally, row in
                if labels[row] == 1 { tally.positives += counts[row] } else { tally.negatives += counts[row] }
            }
        }
    }

    /// ROC-AUC of the resample (Mann-Whitney, ties as half); nil when a class is absent.
    public func rocAUC(counts: [Int]) -> Double? {
        let groupTallies = tallies(counts)
        let positives = groupTallies.reduce(0) { $0 + $1.positives }, negatives = groupTallies.reduce(0) { $0 + $1.negatives }
        guard positives > 0, negatives > 0 else { return nil }
        var rankSum = 0.0, before = 0
        for tally in groupTallies where tally.positives + tally.negatives > 0 {
            let size = tally.positives + tally.negatives
            rankSum += Double(tally.positives) * (Double(2 * before + size - 1) / 2 + 1)
            before += size
        }
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }

    /// Average precision of the resample (highest scores first, tied groups together); nil without anomalies.
    public func averagePrecision(counts: [Int]) -> Double? {
        let groupTallies = tallies(counts)
        let positives = groupTallies.reduce(0) { $0 + $1.positives }
        guard positives > 0 else { return nil }
        var truePositives = 0, seen = 0, previousRecall = 0.0, total = 0.0
        for tally in groupTallies.reversed() where tally.positives + tally.negatives > 0 {
            truePositives += tally.positives
            seen += tally.positives + tally.negatives
            let recall = Double(truePositives) / Double(positives)
            total += (recall - previousRecall) * Double(truePositives) / Double(seen)
            previousRecall = recall
        }
        return total
    }
}
