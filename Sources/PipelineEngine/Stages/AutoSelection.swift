import Evaluation
import Reporting
import TensorCore

/// The `auto` result of `evaluate`: in each repetition, the `top` detectors (variant and
/// detector) that score best by `metric` on their own validation rows — real training rows
/// none of them fitted on, the same rows for all — never the test rows. One detector: its
/// test metrics. Several: an ensemble whose score is the mean over them of where a row's
/// score falls among that detector's validation scores (a quantile in [0, 1], so unlike
/// scales mix), its threshold the best F1 on the ensemble's own validation scores.
struct AutoSelection {
    let metric: String
    let top: Int
    let contamination: Double

    /// - Returns: the result and warnings (a repetition whose validation rows hold no anomaly
    ///   to choose by: there `auto` is the mean of every detector, nothing chosen).
    /// - Throws: `StageError` when a repetition's detectors have no validation rows, or an
    ///   ensemble's members were validated or tested on different rows.
    func result(_ scored: [DetectorEvaluation.Scored], resamples: Int,
                using rng: inout SeededRNG) throws -> (result: MetricsResult, warnings: [String]) {
        var folds: [MetricsResult.Fold] = [], chosen: [String] = [], stages: [String] = [], warnings: [String] = []
        for fold in orderedUnique(scored.map(\.fold)) {
            // Best first; a tie keeps the input order.
            let ranked = scored.filter { $0.fold == fold }.compactMap { run -> (run: DetectorEvaluation.Scored, value: Double)? in
                guard let (scores, labels) = run.validation else { return nil }
                let value = metric == "validation_roc_auc" ? rocAUC(scores: scores, labels: labels)
                    : DetectionMetrics.averagePrecision(scores: scores, labels: labels)
                return value.map { (run, $0) }
            }.enumerated().sorted { ($0.element.value, -$0.offset) > ($1.element.value, -$1.offset) }.map(\.element.run)
            var members = Array(ranked.prefix(top))
            if members.isEmpty {
                members = scored.filter { $0.fold == fold && $0.validation != nil }
                guard !members.isEmpty else {
                    throw StageError("select_by \(metric): no detector\(fold.isEmpty ? "" : " of \(fold)") has validation rows; give them validation_fraction > 0")
                }
                warnings.append("auto\(fold.isEmpty ? "" : " (\(fold))"): the validation rows hold no anomaly to choose by, so auto is the mean of all \(members.count) detectors")
            }
            folds.append(MetricsResult.Fold(fold: fold, scorecard: members.count == 1 ? members[0].scorecard
                                            : try ensembleScorecard(members, resamples: resamples, using: &rng)))
            chosen.append(members.map { "\($0.variant) / \($0.detector)" }.joined(separator: " + "))
            stages += members.map(\.stage)
        }
        let candidates = orderedUnique(scored.map { "\($0.variant) / \($0.detector)" }).count
        let how = "chosen by \(metric.replacingOccurrences(of: "_", with: " ")) among \(candidates)"
        var result = MetricsResult(variant: "auto", detector: "auto", stages: stages,
                                   thresholdRule: top == 1 ? "the chosen detector's; \(how)"
                                       : "the ensemble's best F1 on its validation rows; the \(top) best \(how)",
                                   folds: folds)
        result.chosen = chosen
        return (result, warnings)
    }

    /// The ensemble's metrics on the test rows the members share.
    private func ensembleScorecard(_ members: [DetectorEvaluation.Scored], resamples: Int, using rng: inout SeededRNG) throws -> Scorecard {
        let validationLabels = members[0].validation!.labels, testLabels = members[0].labels
        guard members.allSatisfy({ $0.validation!.labels == validationLabels && $0.labels == testLabels }) else {
            throw StageError("select_top \(top): the chosen detectors were validated or tested on different rows (\(members.map(\.stage).joined(separator: ", "))); give them the same validation_fraction and validation_seed")
        }
        let positions = members.map { member in ValidationPosition(member.validation!.scores) }
        func ensemble(_ scores: (DetectorEvaluation.Scored) -> [Float], rows: Int) -> [Float] {
            (0..<rows).map { row in
                Float(zip(members, positions).reduce(0.0) { $0 + $1.1.of(scores($1.0)[row]) } / Double(members.count))
            }
        }
        let validation = ensemble({ $0.validation!.scores }, rows: validationLabels.count)
        let test = ensemble(\.scores, rows: testLabels.count)
        guard let threshold = DetectionMetrics.bestF1Threshold(scores: validation, labels: validationLabels, midpoint: true)
                ?? DetectionMetrics.contaminationThreshold(scores: validation, contamination: contamination) else {
            throw StageError("select_top \(top): cannot place a threshold on \(validation.count) validation rows")
        }
        return Scorecard.measure(scores: test, labels: testLabels, threshold: threshold, resamples: resamples, using: &rng)
    }
}

/// Where a score falls among a detector's validation scores: the share below it, ties
/// counting half (the mid-rank quantile).
struct ValidationPosition {
    private let sorted: [Float]

    init(_ scores: [Float]) { sorted = scores.sorted() }

    func of(_ score: Float) -> Double {
        guard !sorted.isEmpty else { return 0.5 }
        var low = 0, high = sorted.count  // first index >= score
        while low < high { let mid = (low + high) / 2; if sorted[mid] < score { low = mid + 1 } else { high = mid } }
        var end = low  // first index > score
        high = sorted.count
        while end < high { let mid = (end + high) / 2; if sorted[mid] <= score { end = mid + 1 } else { high = mid } }
        return (Double(low) + Double(end - low) / 2) / Double(sorted.count)
    }
}
