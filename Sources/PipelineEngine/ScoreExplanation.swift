import Datasets
import Foundation
import Models
import TensorCore

/// Why each row scored as it did (`anomsynth score --explain`): the detector's attributions
/// summed per source column (a one-hot group or a date's parts count as their column), with
/// the row's value beside the column's typical one.
public struct ScoreExplanation {
    /// What base plus contributions add up to (`Attributions.unit`).
    public let unit: String
    /// The source columns.
    public let columns: [String]
    /// `[rows, columns]`: each source column's contribution.
    public let contributions: Tensor
    /// Per row, what the contributions start from.
    public let base: [Float]
    /// Per column, its typical value in the training rows, as text.
    public let typical: [String]
    /// How many columns each row names (nil: every column, in column order).
    public let top: Int?
    private let sources: SourceColumns
    private let rows: Dataset

    /// The detector kinds whose scores can be explained.
    public static var explainableKinds: [String] {
        ModelRegistry.detectors.filter { (try? $0.make(DetectorSettings())) is any ExplainableDetector }.map(\.name)
    }

    /// - Parameters:
    ///   - attributions: over the model columns of `rows` once transformed.
    ///   - rows: the scored rows in the transform's input columns (for the values shown).
    public init(_ attributions: Attributions, transform: Transform, rows: Dataset, top: Int?) {
        let sources = SourceColumns(transform)
        self.sources = sources
        self.rows = rows
        unit = attributions.unit
        columns = sources.names
        contributions = sources.summed(attributions.values)
        base = attributions.base
        typical = sources.names.indices.map { sources.typicalText(of: $0, transform) }
        self.top = top.map { min($0, sources.names.count) }
    }

    /// A row's columns as named: the `top` that raised its score most (largest contribution
    /// first, ties in column order), or every column in order.
    public func ranked(row: Int) -> [Int] {
        let all = Array(columns.indices)
        guard let top else { return all }
        return Array(all.sorted { (contributions[row, $0], $1) > (contributions[row, $1], $0) }.prefix(top))
    }

    /// CSV header: `explain_1_column`, `_contribution`, `_value`, `_typical` for each of the
    /// top columns; with every column, `base` then `contribution:NAME` per column.
    public var csvHeader: [String] {
        guard let top else { return ["base"] + columns.map { CSVWriter.quote("contribution:\($0)") } }
        return (1...max(1, top)).flatMap { k in ["column", "contribution", "value", "typical"].map { "explain_\(k)_\($0)" } }
    }

    /// A row's fields under `csvHeader`.
    public func csvFields(row: Int) -> [String] {
        guard top != nil else { return ["\(base[row])"] + columns.indices.map { "\(contributions[row, $0])" } }
        return ranked(row: row).flatMap { j in
            [CSVWriter.quote(columns[j]), "\(contributions[row, j])", CSVWriter.quote(sources.text(of: j, row: row, in: rows)), CSVWriter.quote(typical[j])]
        }
    }

    /// A row's explanation as JSON: `base`, `unit` and the columns named, each with its
    /// `contribution`, `value` and `typical`.
    public func json(row: Int) -> [String: Any] {
        ["base": Double(base[row]), "unit": unit, "columns": ranked(row: row).map { j -> [String: Any] in
            ["column": columns[j], "contribution": Double(contributions[row, j]),
             "value": sources.text(of: j, row: row, in: rows), "typical": typical[j]]
        }]
    }
}
