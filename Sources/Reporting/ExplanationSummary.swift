import Foundation

/// What `evaluate` says of one detector's explanations (`metrics.json`'s `explanations`): the
/// columns that matter most to it on the test rows, and why its most anomalous test rows are so.
public struct ExplanationSummary: Codable, Equatable, Sendable {
    /// A source column and its mean absolute contribution.
    public struct Importance: Codable, Equatable, Sendable {
        public var column: String
        public var meanAbsoluteContribution: Double

        public init(column: String, meanAbsoluteContribution: Double) {
            (self.column, self.meanAbsoluteContribution) = (column, meanAbsoluteContribution)
        }

        enum CodingKeys: String, CodingKey {
            case column
            case meanAbsoluteContribution = "mean_absolute_contribution"
        }
    }

    /// A column that raised a row's score, with the row's value and the typical one.
    public struct Reason: Codable, Equatable, Sendable {
        public var column: String
        public var contribution: Double
        public var value: String
        public var typical: String

        public init(column: String, contribution: Double, value: String, typical: String) {
            (self.column, self.contribution, self.value, self.typical) = (column, contribution, value, typical)
        }
    }

    /// One of the most anomalous test rows: its fold, index among the test rows, score, label and reasons.
    public struct TopRow: Codable, Equatable, Sendable {
        public var fold: String
        public var row: Int
        public var score: Double
        public var label: Int
        public var reasons: [Reason]

        public init(fold: String, row: Int, score: Double, label: Int, reasons: [Reason]) {
            (self.fold, self.row, self.score, self.label, self.reasons) = (fold, row, score, label, reasons)
        }
    }

    /// Anomalies planted in normal test rows, some columns at a time, and the share whose
    /// top columns (as many as were changed) name a changed one: the explanation hit rate.
    public struct Planted: Codable, Equatable, Sendable {
        public var columnsChanged: Int
        public var rows: Int
        public var hitRate: Double

        public init(columnsChanged: Int, rows: Int, hitRate: Double) {
            (self.columnsChanged, self.rows, self.hitRate) = (columnsChanged, rows, hitRate)
        }

        enum CodingKeys: String, CodingKey {
            case rows
            case columnsChanged = "columns_changed", hitRate = "hit_rate"
        }
    }

    public var variant: String
    public var detector: String
    /// What a row's base plus its contributions add up to (e.g. `log-odds of the score`).
    public var unit: String
    /// Test rows the importance was measured on, over every fold.
    public var rows: Int
    /// Every source column, most important first (the mean over folds of each fold's mean).
    public var importance: [Importance]
    /// The most anomalous test rows of the first fold, most anomalous first.
    public var topRows: [TopRow]
    /// The hit rate on planted anomalies, per count of columns changed (over the folds).
    public var planted: [Planted]

    public init(variant: String, detector: String, unit: String, rows: Int, importance: [Importance], topRows: [TopRow], planted: [Planted]) {
        (self.variant, self.detector, self.unit, self.rows, self.importance, self.topRows, self.planted) = (variant, detector, unit, rows, importance, topRows, planted)
    }

    enum CodingKeys: String, CodingKey {
        case variant, detector, unit, rows, importance, planted
        case topRows = "top_rows"
    }
}
