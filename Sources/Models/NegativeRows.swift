import Datasets
import TensorCore

/// The rows a one-class model learns and, with synthetic negatives, the anomalies it
/// learns to push away (Deep SAD's semi-supervised set-up): without negatives every row
/// is learned; with them only the normal ones, and anomalies are drawn per batch.
struct NegativeRows {
    /// Indices of the rows the model learns.
    let learned: [Int]
    /// Indices of the anomalies (empty without negatives).
    let anomalies: [Int]

    init(_ data: Dataset, enabled: Bool) {
        learned = enabled ? data.indices(ofClass: 0) : Array(0..<data.rowCount)
        anomalies = enabled ? data.indices(ofClass: 1) : []
    }

    /// Up to `count` anomalies drawn with replacement; nil without negatives.
    func draw(_ count: Int, using rng: inout SeededRNG) -> [Int]? {
        guard !anomalies.isEmpty else { return nil }
        return (0..<min(count, anomalies.count)).map { _ in anomalies[rng.index(below: anomalies.count)] }
    }
}

extension Detector {
    /// The rows a one-class detector trains on: the normal ones, or with negatives all of
    /// them (anomalies included, as negatives); errors when too few normal rows or, with
    /// negatives, no anomalies.
    func checkedTrainingRows(_ data: Dataset, negatives: Bool) throws -> Dataset {
        let normal = data.indices(ofClass: 0)
        guard normal.count >= 2 else { throw ModelError("\(kind): needs at least 2 normal training rows, got \(normal.count)") }
        if negatives, data.anomalyCount == 0 {
            throw ModelError("\(kind): negatives: true needs anomalies among the training rows (augment with synthetic ones), got none")
        }
        return negatives ? data : try data.rows(normal)
    }
}
