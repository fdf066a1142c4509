import Foundation

/// `report.md`: the tables of the report in Markdown (the charts are in `report.html`).
public enum MarkdownReport {
    /// The whole document, with the marks of `ReportPlaceholders` for publishing to fill.
    public static func render(_ content: ReportContent) -> String {
        var text = "# AnomSynth report: \(content.metrics.pipeline)\n\n"
        text += content.notes.map { "- \($0)\n" }.joined() + (content.notes.isEmpty ? "" : "\n")
        text += "## Results\n\n" + markdown(Table.results(content.metrics))
        text += "\nBold: the best variant of each detector by PR-AUC. Charts: `report.html`.\n"
        if !content.metrics.comparisons.isEmpty {
            text += "\n## Against the baseline\n\n" + markdown(Table.comparisons(content.metrics))
            if let note = Table.comparisonNote(content.metrics) { text += "\nNo significance test: \(note).\n" }
            if let note = Table.pValueFloorNote(content.metrics) { text += "\nNote: \(note).\n" }
        }
        text += ReportPlaceholders.gates
        if !content.metrics.warnings.isEmpty { text += "\n## Warnings\n\n" + content.metrics.warnings.map { "- \($0)\n" }.joined() }
        if !content.quality.isEmpty { text += "\n## Synthetic data quality\n\n" + markdown(Table.quality(content.quality)) }
        if let explanations = content.metrics.explanations, !explanations.isEmpty {
            text += "\n## Explanations\n\n" + ExplanationReport.note(explanations) + "\n"
            for summary in explanations {
                text += "\n### \(ExplanationReport.title(summary))\n\nContributions in \(summary.unit). \(ExplanationReport.hitRates(summary))\n\n"
                    + markdown(ExplanationReport.importance(summary))
                    + "\nThe most anomalous test rows:\n\n" + markdown(ExplanationReport.topRows(summary))
            }
        }
        if !content.imageGrids.isEmpty {
            text += "\n## Images\n\nIn report.html: " + content.imageGrids.map { $0.title + ($0.caption.isEmpty ? "" : " (\($0.caption))") }
                .joined(separator: "; ") + ".\n"
        }
        text += "\n## Stages\n\n\(ReportPlaceholders.stages)\n"
        return text
    }

    /// The results table alone (for a terminal).
    public static func resultsTable(_ metrics: MetricsDocument) -> String { markdown(Table.results(metrics)) }

    /// The gates' section (empty without gates).
    static func gateSection(_ gates: [GateOutcome]) -> String {
        gates.isEmpty ? "" : "\n## Quality gates\n\n" + markdown(Table.gates(gates))
    }

    /// The run's stages as a Markdown table.
    public static func stageTable(_ stages: [StageRow]) -> String { markdown(Table.stages(stages)) }

    static func markdown(_ table: Table) -> String {
        func line(_ cells: [String]) -> String { "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
        return line(table.header) + line(table.header.map { _ in "---" })
            + table.rows.enumerated().map { index, row in line(table.emphasized.contains(index) ? row.map { "**\($0)**" } : row) }.joined()
    }
}
