import Foundation

/// The report's explanation parts: each explainable detector's column importance (a bar
/// chart and a table) and why its most anomalous test rows are so.
enum ExplanationReport {
    /// Columns shown per detector, most important first.
    static let columnsShown = 10

    /// `variant / detector`, the title of a summary.
    static func title(_ summary: ExplanationSummary) -> String { "\(summary.variant) / \(summary.detector)" }

    /// Horizontal bars of the mean absolute contributions of the most important columns.
    static func chart(_ summary: ExplanationSummary) -> String {
        let shown = Array(summary.importance.prefix(columnsShown))
        let (width, row, left, top) = (420.0, 20.0, 150.0, 28.0)
        let height = top + row * Double(shown.count) + 24
        let largest = max(shown.map(\.meanAbsoluteContribution).max() ?? 0, 1e-12)
        var body = "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(SVGChart.escape(title(summary)))</text>"
        for (k, item) in shown.enumerated() {
            let y = top + row * Double(k)
            let length = (width - left - 60) * item.meanAbsoluteContribution / largest
            body += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 13))\" text-anchor=\"end\">\(SVGChart.escape(String(item.column.prefix(24))))</text>"
            body += "<rect x=\"\(f(left))\" y=\"\(f(y + 3))\" width=\"\(f(length))\" height=\"\(f(row - 6))\" fill=\"\(SVGChart.color(0))\"><title>\(SVGChart.escape(item.column))</title></rect>"
            body += "<text x=\"\(f(left + length + 4))\" y=\"\(f(y + 13))\">\(String(format: "%.3g", item.meanAbsoluteContribution))</text>"
        }
        body += "<text x=\"\(f(width / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">mean |contribution| (\(SVGChart.escape(summary.unit)))</text>"
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"11\">\(body)</svg>"
    }

    /// The most important columns with their mean absolute contribution.
    static func importance(_ summary: ExplanationSummary) -> Table {
        Table(header: ["column", "mean |contribution|"],
              rows: summary.importance.prefix(columnsShown).map { [$0.column, String(format: "%.4g", $0.meanAbsoluteContribution)] })
    }

    /// The most anomalous test rows: score, label and the columns that raised the score most.
    static func topRows(_ summary: ExplanationSummary) -> Table {
        Table(header: ["fold", "test row", "score", "label", "why (column = value, typical value: contribution)"], rows: summary.topRows.map { row in
            [row.fold.isEmpty ? "-" : row.fold, "\(row.row)", String(format: "%.4g", row.score), "\(row.label)", row.reasons.map {
                "\($0.column) = \($0.value)\($0.typical.isEmpty ? "" : " (typical \($0.typical))"): \(String(format: "%+.3g", $0.contribution))"
            }.joined(separator: "; ")]
        })
    }

    /// The hit rate on planted anomalies, in a sentence (empty when none were planted).
    static func hitRates(_ summary: ExplanationSummary) -> String {
        guard !summary.planted.isEmpty else { return "" }
        return "Explanation hit rate (anomalies planted in normal test rows; the top columns, as many as were changed, name a changed one): "
            + summary.planted.map { "\($0.columnsChanged) column\($0.columnsChanged == 1 ? "" : "s") changed \(String(format: "%.2f", $0.hitRate)) of \($0.rows) rows" }
                .joined(separator: "; ") + "."
    }

    /// A sentence on what the numbers are.
    static func note(_ summaries: [ExplanationSummary]) -> String {
        "Contributions are each column's share of a detector's output for a row (base plus contributions = the unit named); "
            + "importance is their mean absolute value on \(summaries.first.map { "\($0.rows)" } ?? "0") evenly spaced test rows "
            + "(over the folds). One-hot groups and date parts count as their column."
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
