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
    /// Normal test rows given planted anomalies for the hit rate, per count of columns changed.
    static let plantedRows = 100
    static let plantedColumnCounts = [1, 2]

    /// One detector's explanation on one fold's test rows.
    struct Fold {
        var variant: String, detector: String, fold: String
        var unit: String
        var columns: [String]
        var meanAbsolute: [Double]
        var rows: Int
        var top: [ExplanationSummary.TopRow]
        /// Per count of columns changed: planted rows, and those whose top columns named a changed one.
        var planted: [Int: (rows: Int, hits: Int)]
    }

    /// Explains `detector` on `test` (model-space rows, `transform` the preprocessing that made
    /// them, if any): `limit` evenly spaced rows for importance, the `topRows` highest scores.
    static func explain(_ detector: any ExplainableDetector, test: Dataset, transform: Transform?, scores: [Float], limit: Int,
                        variant: String, name: String, fold: String, using rng: inout SeededRNG) throws -> Fold {
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
                    meanAbsolute: meanAbsolute, rows: sample.count, top: rows,
                    planted: try hitRates(detector, test: test, sources: sources, using: &rng))
    }

    /// Anomalies planted in normal test rows, one or two numeric source columns at a time
    /// (each set uniformly 10-60% of the column's test range beyond its least or greatest
    /// value, as ADBench's global anomalies but in those columns only), and how often the
    /// detector's top columns (as many as were changed) name a changed one.
    static func hitRates(_ detector: any ExplainableDetector, test: Dataset, sources: SourceColumns?,
                         using rng: inout SeededRNG) throws -> [Int: (rows: Int, hits: Int)] {
        let normal = test.indices(ofClass: 0)
        let summary = test.columnSummary()
        // Numeric sources of one model column (no category group, no date parts) that vary.
        let modelColumns = test.columns.indices
        let candidates = (sources?.names.indices.map { $0 } ?? Array(modelColumns)).compactMap { source -> (source: Int, column: Int)? in
            let columns = modelColumns.filter { (sources?.sourceOfModelColumn[$0] ?? $0) == source }
            guard columns.count == 1, sources?.dates[source] == nil, test.columns[columns[0]].categories == nil,
                  test.columns[columns[0]].originalName == nil, summary[columns[0]].high > summary[columns[0]].low else { return nil }
            return (source, columns[0])
        }
        var result: [Int: (rows: Int, hits: Int)] = [:]
        for changed in plantedColumnCounts where candidates.count > changed && !normal.isEmpty {
            let picked = (0..<plantedRows).map { k in normal[k * normal.count / plantedRows % normal.count] }
            var planted = try test.rows(picked)
            var changes: [[Int]] = []
            planted.features.withUnsafeMutableBufferPointer { values in
                for r in 0..<picked.count {
                    var chosen: [Int] = []
                    while chosen.count < changed {
                        let c = rng.index(below: candidates.count)
                        if !chosen.contains(c) { chosen.append(c) }
                    }
                    for c in chosen {
                        let column = candidates[c].column
                        let (low, high) = (Float(summary[column].low), Float(summary[column].high))
                        let beyond = (high - low) * rng.uniform(0.1, 0.6)
                        values[r * test.columns.count + column] = rng.uniform() < 0.5 ? low - beyond : high + beyond
                    }
                    changes.append(chosen.map { candidates[$0].source })
                }
            }
            let values = try detector.attributionsInChunks(planted).values
            let contributions = sources?.summed(values) ?? values
            let hits = changes.indices.filter { r in
                let ranked = (0..<contributions.columns).sorted { (contributions[r, $0], $1) > (contributions[r, $1], $0) }
                return !Set(ranked.prefix(changed)).isDisjoint(with: changes[r])
            }.count
            result[changed] = (picked.count, hits)
        }
        return result
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
            let planted = Set(group.flatMap(\.planted.keys)).sorted().map { changed -> ExplanationSummary.Planted in
                let (rows, hits) = group.reduce((0, 0)) { sums, fold in fold.planted[changed].map { (sums.0 + $0.rows, sums.1 + $0.hits) } ?? sums }
                return ExplanationSummary.Planted(columnsChanged: changed, rows: rows, hitRate: Double(hits) / Double(max(1, rows)))
            }
            return ExplanationSummary(variant: group[0].variant, detector: group[0].detector, unit: group[0].unit,
                                      rows: group.reduce(0) { $0 + $1.rows }, importance: order.map { importance[$0] }, topRows: group[0].top,
                                      planted: planted)
        }
    }
}
