/// ROC-AUC by the Mann-Whitney statistic, with tied scores counted as half.
/// - Returns: nil when either class is empty (AUC undefined).
public func rocAUC(scores: [Float], labels: [UInt8]) -> Double? {
    RankedScores(scores: scores, labels: labels).rocAUC(counts: [Int](repeating: 1, count: scores.count))
}
