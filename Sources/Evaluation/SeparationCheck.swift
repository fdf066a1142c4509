import Datasets
import TensorCore

/// Signs of a label leak: test classes that a single column separates on its own, or that
/// every detector separates almost perfectly. Real anomaly detection is rarely that clean;
/// when it is, the label is usually a rule of the features (a leak a user must be told of).
public enum SeparationCheck {
    /// ROC-AUC (either direction) at or above which a separation counts as near perfect.
    public static let nearPerfect = 0.999
    /// The fewest rows of each class for the checks: a handful of anomalies (a rare attack
    /// in a small test fold) is often separated by one column for real, not by a leak.
    public static let minimumRowsPerClass = 25

    /// Whether a test set has enough of both classes for the checks to mean something.
    public static func applies(to data: Dataset) -> Bool {
        data.anomalyCount >= minimumRowsPerClass && data.rowCount - data.anomalyCount >= minimumRowsPerClass
    }

    /// The columns whose values alone separate the classes near perfectly, with their
    /// ROC-AUC (either direction), by original column name (one-hot columns name their
    /// source). Empty without `minimumRowsPerClass` rows of each class.
    public static func separatingColumns(_ data: Dataset) -> [(name: String, rocAUC: Double)] {
        guard applies(to: data), data.features.rank == 2 else { return [] }
        var found: [(name: String, rocAUC: Double)] = []
        for (j, column) in data.columns.enumerated() {
            let values = (0..<data.rowCount).map { data.features[$0, j] }
            guard values.allSatisfy(\.isFinite), let auc = rocAUC(scores: values, labels: data.labels) else { continue }
            let separation = max(auc, 1 - auc)
            let name = column.originalName ?? column.name
            if separation >= nearPerfect, !found.contains(where: { $0.name == name }) { found.append((name, separation)) }
        }
        return found
    }
}
