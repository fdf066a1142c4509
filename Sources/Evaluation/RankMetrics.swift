/// ROC-AUC by the Mann-Whitney statistic, with tied scores counted as half.
/// - Returns: nil when either class is empty (AUC undefined).
public func rocAUC(scores: [Float], labels: [UInt8]) -> Double? {
    let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
        let averageRank = Double(i + j) / 2 + 1
        for k in i...j where labels[order[k]] == 1 { rankSum += averageRank }
        i = j + 1
    }
    return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
}
