/// ROC-AUC by the Mann-Whitney statistic, with tied scores counted as half.
/// - Returns: nil when either class is empty (AUC undefined).
public func rocAUC(scores: [Float], labels: [UInt8]) -> Double? {
    let ranked = RankedScores(scores: scores, labels: labels)
    return ranked.rocAUC(counts: ranked.everyRowOnce)
}
