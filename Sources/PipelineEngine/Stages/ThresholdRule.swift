import Evaluation
import Models

/// How a detector's decision threshold is chosen, shared by `evaluate` and `score`: on the
/// detector's own validation rows (saved with it), never on the rows it is applied to.
public enum ThresholdRule: String, Codable, CaseIterable, Sendable {
    /// The best F1 on the validation rows (the contamination quantile without validation anomalies).
    case bestF1 = "best_f1"
    /// A share of the validation rows above the threshold.
    case contamination
    /// A classifier's own boundary (probability 0.5); best F1 for other detectors.
    case decision

    /// The threshold of a saved detector by this rule, from its own validation scores, with
    /// a sentence saying how it was chosen.
    /// - Parameter name: how errors name the detector ("detector mlp_none").
    /// - Throws: `StageError` when the rule needs validation rows the detector lacks.
    public func choose(for saved: DetectorStore.Saved, contamination: Double, name: String) throws -> (Float, String) {
        let rule = self
        if rule == .decision, saved.detector.isSupervised {
            return (0.5, "the classifier's own boundary: probability 0.5")
        }
        guard let scores = saved.extras["validation_scores"]?.scalars, let labels = saved.extras["validation_labels"]?.scalars,
              !scores.isEmpty else {
            throw StageError("\(name) has no validation rows to choose a threshold on; give it validation_fraction > 0")
        }
        guard labels.count == scores.count, labels.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw StageError("\(name): its validation_labels must be one 0 or 1 per validation score (\(scores.count) scores, \(labels.count) labels)")
        }
        guard scores.allSatisfy(\.isFinite) else { throw StageError("\(name): its validation_scores must be finite") }
        let flags = labels.map { UInt8($0) }
        let anomalies = flags.filter { $0 == 1 }.count
        let why = rule == .decision ? " (no boundary of its own)" : ""
        if rule != .contamination, let threshold = DetectionMetrics.bestF1Threshold(scores: scores, labels: flags, midpoint: true) {
            return (threshold, "best F1 on \(scores.count) validation rows (\(anomalies) anomalies), midway in its gap\(why)")
        }
        guard let threshold = DetectionMetrics.contaminationThreshold(scores: scores, contamination: contamination) else {
            throw StageError("\(name): cannot place a contamination threshold on \(scores.count) validation rows")
        }
        let fallback = rule == .contamination ? "" : " (no validation anomalies for best F1)"
        return (threshold, "top \(contamination * 100)% of \(scores.count) validation rows\(fallback)")
    }
}
