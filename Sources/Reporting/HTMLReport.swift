import Foundation

/// `report.html`: one self-contained page (inline CSS and SVG, no scripts, nothing
/// fetched) with the results, comparisons, gates, ROC and PR curves, score histograms,
/// a PCA scatter of real and synthetic rows, loss curves and synthetic-data quality.
public enum HTMLReport {
    /// Bumped with any change to what the reports show: part of `evaluate`'s version, so
    /// that cached reports are rebuilt.
    public static let formatVersion = 5  // 4: image grids; 5: explanations

    /// The whole page, with the marks of `ReportPlaceholders` for publishing to fill.
    public static func render(_ content: ReportContent) -> String {
        let metrics = content.metrics
        var body = "<h1>AnomSynth report: \(e(metrics.pipeline))</h1>"
        body += ReportPlaceholders.gateSummary
        if !content.notes.isEmpty { body += "<ul class=\"notes\">" + content.notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>" }
        body += section("Results", html(Table.results(metrics))
                        + "<p class=\"hint\">Bold: the best variant of each detector by PR-AUC. Intervals: bootstrap 95%; ± : standard deviation over folds.</p>")
        if !metrics.warnings.isEmpty {
            body += section("Warnings", "<ul>" + metrics.warnings.map { "<li>\(e($0))</li>" }.joined() + "</ul>")
        }
        if !metrics.comparisons.isEmpty {
            body += section("Against the baseline", html(Table.comparisons(metrics))
                            + (Table.comparisonNote(metrics).map { "<p class=\"hint\">No significance test: \(e($0)).</p>" } ?? "")
                            + (Table.pValueFloorNote(metrics).map { "<p class=\"hint\">Note: \(e($0)).</p>" } ?? ""))
        }
        body += ReportPlaceholders.gates
        if !content.curves.isEmpty {
            body += section("ROC and precision-recall curves", "<div class=\"charts\">" + content.curves.map { curves in
                figure(SVGChart.lines(title: "ROC — \(curves.detector)", xLabel: "false positive rate", yLabel: "true positive rate",
                                      series: curves.roc, xRange: 0...1, yRange: 0...1, diagonal: true))
                    + figure(SVGChart.lines(title: "Precision-recall — \(curves.detector)", xLabel: "recall", yLabel: "precision",
                                            series: curves.precisionRecall, xRange: 0...1, yRange: 0...1))
            }.joined() + "</div>")
        }
        if !content.histograms.isEmpty {
            body += section("Test scores: normal vs anomalous rows", "<div class=\"charts\">" + content.histograms.map {
                figure(SVGChart.histogram(title: $0.title, normal: $0.normal, anomalous: $0.anomalous))
            }.joined() + "</div>")
        }
        if !content.scatter.isEmpty {
            body += section("Real and synthetic rows (PCA)", "<div class=\"charts\">"
                            + figure(SVGChart.scatter(title: "Two principal components of the real training rows", xLabel: "PC 1",
                                                      yLabel: "PC 2", sets: content.scatter), wide: true)
                            + "</div><p class=\"hint\">\(e(content.scatterNote))</p>")
        }
        if !content.losses.isEmpty {
            body += section("Training curves", "<div class=\"charts\">" + content.losses.map {
                // Up to the 95th percentile: the first epochs' losses would flatten the rest.
                let values = $0.series.flatMap { $0.points.map(\.y) }.filter(\.isFinite).sorted()
                let top = values.isEmpty ? 1 : values[Int(Double(values.count - 1) * 0.95)]
                let range = values.isEmpty || top <= values[0] ? nil : SVGChart.span([values[0], top])
                return figure(SVGChart.lines(title: $0.title, xLabel: "epoch", yLabel: "loss", series: $0.series, yRange: range))
            }.joined() + "</div>")
        }
        if let explanations = metrics.explanations, !explanations.isEmpty {
            body += section("Explanations", "<p>\(e(ExplanationReport.note(explanations)))</p>" + explanations.map { summary in
                "<h3>\(e(ExplanationReport.title(summary)))</h3><p>\(e(ExplanationReport.hitRates(summary)))</p>"
                    + "<div class=\"charts\">\(figure(ExplanationReport.chart(summary)))</div>"
                    + "<p>The most anomalous test rows (contributions in \(e(summary.unit))):</p>" + html(ExplanationReport.topRows(summary))
            }.joined())
        }
        if !content.quality.isEmpty {
            body += section("Synthetic data quality", html(Table.quality(content.quality))
                            + "<p class=\"hint\">mmd: maximum mean discrepancy to the real rows (0 is best); classifier_auc: how well a classifier tells synthetic from real (0.5 is best); distance_to_closest_record and exact_copy_rate: privacy (copies of real rows are bad); precision/recall: fidelity and coverage of the real rows' manifold.</p>")
        }
        if !content.imageGrids.isEmpty {
            body += section("Images", "<div class=\"charts\">" + content.imageGrids.map { grid in
                "<figure><figcaption>\(e(grid.title))</figcaption><img alt=\"\(e(grid.title))\" src=\"data:image/png;base64,"
                    + Data(grid.png).base64EncodedString() + "\"/>"
                    + (grid.caption.isEmpty ? "" : "<p class=\"hint\">\(e(grid.caption))</p>") + "</figure>"
            }.joined() + "</div>")
        }
        body += section("Stages", ReportPlaceholders.stages)
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><title>AnomSynth report: \(e(metrics.pipeline))</title>
        <style>\(style)</style></head><body>\(body)</body></html>

        """
    }

    /// Whether the gates passed, one line (empty without gates).
    static func gateSummary(_ gates: [GateOutcome]) -> String {
        guard !gates.isEmpty else { return "" }
        let missed = gates.filter { !$0.passed }.count
        let count = gates.count == 1 ? "1 quality gate" : "\(gates.count) quality gates"
        guard missed > 0 else { return "<p class=\"pass\">\(gates.count == 1 ? "The quality gate passed" : "All \(count) passed").</p>" }
        return "<p class=\"fail\">\(missed) of \(count) missed.</p>"
    }

    /// The gates' section (empty without gates).
    static func gateSection(_ gates: [GateOutcome]) -> String {
        gates.isEmpty ? "" : section("Quality gates", html(Table.gates(gates)))
    }

    /// The run's stages as an HTML table.
    public static func stageTable(_ stages: [StageRow]) -> String { html(Table.stages(stages)) }

    static func html(_ table: Table) -> String {
        "<table><thead><tr>" + table.header.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>"
            + table.rows.enumerated().map { index, row in
                "<tr\(table.emphasized.contains(index) ? " class=\"best\"" : "")>" + row.map { "<td>\(e($0))</td>" }.joined() + "</tr>"
            }.joined() + "</tbody></table>"
    }

    private static func section(_ title: String, _ content: String) -> String { "<section><h2>\(e(title))</h2>\(content)</section>" }
    private static func figure(_ svg: String, wide: Bool = false) -> String { "<figure\(wide ? " class=\"wide\"" : "")>\(svg)</figure>" }
    private static func e(_ text: String) -> String { SVGChart.escape(text) }

    private static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1320px;color:#222;padding:0 16px}
    h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
    table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
    th{background:#f3f5f8}td:first-child,td:nth-child(2),th:first-child,th:nth-child(2){text-align:left}
    tr.best td{font-weight:bold;background:#eef7ee}.charts{display:flex;flex-wrap:wrap;gap:8px}
    figure{margin:0;border:1px solid #eee;padding:4px}figure img{image-rendering:pixelated;display:block}
    figcaption{font-size:13px;margin-bottom:4px}figure.wide svg{width:640px;height:auto}
    .hint{color:#666;font-size:12px}.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
    .notes{color:#444;font-size:13px}
    """
}
