import Datasets
import Foundation
import Models
import Reporting
import TensorCore

/// What `evaluate` measures of explainable detectors: each source column's mean absolute
/// contribution on evenly spaced test rows, and the columns that made the most anomalous
/// test rows so (with their values in the original units).
enum ExplanationMeasure {
    /// The most anomalous test rows explained, and the reasons given for each.
    static let topRows = 10
    static let reasonsPerRow = 3

    /// One detector's explanation on one fold's test rows.
    struct Fold {
        var variant: String, detector: String, fold: String
        var unit: String
        var columns: [String]
        var meanAbsolute: [Double]
        var rows: Int
        var top: [ExplanationSummary.TopRow]
    }

    /// Explains `detector` on `test` (model-space rows, `transform` the preprocessing that made
    /// them, if any): `limit` evenly spaced rows for importance, the `topRows` highest scores.
    static func explain(_ detector: any ExplainableDetector, test: Dataset, transform: Transform?, scores: [Float], limit: Int,
                        variant: String, name: String, fold: String) throws -> Fold {
        let n = test.rowCount
        let sample = n <= limit ? Array(0..<n) : (0..<limit).map { $0 * n / limit }
        let top = Array(scores.indices.sorted { (scores[$0], $1) > (scores[$1], $0) }.prefix(min(topRows, n)))
        let sources = transform.map(SourceColumns.init)
        let columns = sources?.names ?? test.columns.map(\.name)
        func summed(_ values: Tensor) -> Tensor { sources?.summed(values) ?? values }
        let attributions = try detector.attributionsInChunks(try test.rows(sample))
        let contributions = summed(attributions.values)
        let meanAbsolute = columns.indices.map { j in
            (0..<contributions.rows).reduce(0.0) { $0 + Double(abs(contributions[$1, j])) } / Double(max(1, contributions.rows))
        }
        let topRows = try test.rows(top)
        let reasons = summed(try detector.attributions(topRows).values)
        let original = try transform.map { try $0.inverse(topRows) }
        let rows = top.enumerated().map { k, row -> ExplanationSummary.TopRow in
            let ranked = columns.indices.sorted { (reasons[k, $0], $1) > (reasons[k, $1], $0) }.prefix(reasonsPerRow)
            return ExplanationSummary.TopRow(fold: fold, row: row, score: Double(scores[row]), label: Int(test.labels[row]), reasons: ranked.map { j in
                let value = original.flatMap { data in sources.map { $0.text(of: j, row: k, in: data) } }
                    ?? CSVWriter.format(topRows.features[k, j], topRows.columns[j])
                return ExplanationSummary.Reason(column: columns[j], contribution: Double(reasons[k, j]), value: tidy(value),
                                                 typical: tidy(transform.flatMap { t in sources?.typicalText(of: j, t) } ?? ""))
            })
        }
        return Fold(variant: variant, detector: name, fold: fold, unit: attributions.unit, columns: columns,
                    meanAbsolute: meanAbsolute, rows: sample.count, top: rows)
    }

    /// A number to 6 significant digits (a value back from preprocessing carries float noise:
    /// 6.4394007 for 6.4394); other text as it is.
    private static func tidy(_ text: String) -> String { Double(text).map { String(format: "%.6g", $0) } ?? text }

    /// One summary per variant and detector, in the order first seen: importance averaged
    /// over folds by column, most important first (ties in column order); the first fold's top rows.
    static func summaries(_ folds: [Fold]) -> [ExplanationSummary] {
        let keys = orderedUnique(folds.map { "\($0.variant)\u{0}\($0.detector)" })
        return keys.map { key in
            let group = folds.filter { "\($0.variant)\u{0}\($0.detector)" == key }
            let columns = orderedUnique(group.flatMap(\.columns))
            let importance = columns.map { column -> ExplanationSummary.Importance in
                let values = group.compactMap { fold in fold.columns.firstIndex(of: column).map { fold.meanAbsolute[$0] } }
                return ExplanationSummary.Importance(column: column, meanAbsoluteContribution: values.reduce(0, +) / Double(values.count))
            }
            let order = importance.indices.sorted {
                (importance[$0].meanAbsoluteContribution, $1) > (importance[$1].meanAbsoluteContribution, $0)
            }
            return ExplanationSummary(variant: group[0].variant, detector: group[0].detector, unit: group[0].unit,
                                      rows: group.reduce(0) { $0 + $1.rows }, importance: order.map { importance[$0] }, topRows: group[0].top)
        }
    }
}
