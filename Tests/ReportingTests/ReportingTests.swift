import Evaluation
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reporting
import TensorCore
import XCTest

final class MetricsDocumentTests: XCTestCase {
    private func scorecard(_ scores: [Float], _ labels: [UInt8], threshold: Float = 0.5) -> Scorecard {
        var rng = SeededRNG(seed: 1)
        return Scorecard.measure(scores: scores, labels: labels, threshold: threshold, resamples: 200, using: &rng)
    }

    private func result(_ variant: String, _ detector: String, _ scores: [Float], _ labels: [UInt8]) -> MetricsResult {
        MetricsResult(variant: variant, detector: detector, stages: ["det"], thresholdRule: "best F1",
                      folds: [MetricsResult.Fold(fold: "", scorecard: scorecard(scores, labels))])
    }

    func test_contractKeys_andUndefinedMetricsAreNullNotNaN() throws {
        let document = MetricsDocument(pipeline: "p", results: [
            result("vae", "mlp", [0.9, 0.2, 0.7, 0.1], [1, 0, 1, 0]),
            result("none", "mlp", [0.9, 0.2, 0.7, 0.1], [0, 0, 0, 0]),
        ], warnings: ["test set prep.test has no anomalies"])
        let data = try document.encoded()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertFalse(text.contains("NaN") || text.contains("nan"), text)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["pipeline"] as? String, "p")
        let results = try XCTUnwrap(json["results"] as? [[String: Any]])
        for key in ["variant", "detector", "roc_auc", "pr_auc", "f1", "precision", "recall", "gmean", "threshold", "n_test", "n_test_anomalies"] {
            XCTAssertTrue(results.allSatisfy { $0.keys.contains(key) }, "contract key \(key)")
        }
        XCTAssertEqual(results[0]["roc_auc"] as? Double, 1)
        XCTAssertTrue(results[1]["roc_auc"] is NSNull, "undefined is null")
        XCTAssertEqual(results[1]["n_test_anomalies"] as? Int, 0)
        XCTAssertEqual(try JSONDecoder().decode(MetricsDocument.self, from: data), document, "round trip")
    }

    func test_folds_areAveraged_withSpread() {
        let folds = [scorecard([0.9, 0.1, 0.8, 0.2], [1, 0, 1, 0]), scorecard([0.9, 0.8, 0.1, 0.2], [1, 0, 1, 0])]
        let combined = MetricsResult(variant: "v", detector: "d", stages: ["a", "b"], thresholdRule: "",
                                     folds: folds.enumerated().map { MetricsResult.Fold(fold: "fold=\($0.offset)", scorecard: $0.element) })
        XCTAssertEqual(combined.scorecard.rocAUC, (1 + 0.5) / 2)
        XCTAssertEqual(combined.scorecard.nTest, 8)
        XCTAssertEqual(combined.spread["roc_auc"] ?? 0, 0.3536, accuracy: 1e-4, "sample standard deviation of 1 and 0.5")
        XCTAssertNil(combined.scorecard.rocAUCInterval, "no bootstrap interval across folds")
    }

    func test_gates_passMissNoMatchRelativeAndUndefined() {
        let results = [result("none", "mlp", [0.9, 0.6, 0.7, 0.1], [1, 0, 0, 1]), result("vae", "mlp", [0.9, 0.2, 0.7, 0.1], [1, 0, 1, 0]),
                       result("none", "iforest", [0.9, 0.2], [0, 0])]
        let outcomes = Gates.check([
            GateSpec(metric: "roc_auc", variant: "vae", min: 0.9),
            GateSpec(metric: "roc_auc", variant: "none", detector: "mlp", min: 0.9),
            GateSpec(metric: "pr_auc", variant: "flow", min: 0.1),
            GateSpec(metric: "roc_auc", variant: "vae", detector: "mlp", min: 0.4, relativeTo: "none"),
            GateSpec(metric: "roc_auc", detector: "iforest", min: 0),
        ], results: results)
        XCTAssertEqual(outcomes.map(\.passed), [true, false, false, true, false])
        XCTAssertEqual(outcomes[1].message, "ROC-AUC of none / mlp must be at least 0.9, but none / mlp has 0.5000")
        XCTAssertEqual(outcomes[2].message, "PR-AUC of flow / every detector must be at least 0.1, but no result is flow (the results: none/mlp, vae/mlp, none/iforest)")
        XCTAssertEqual(outcomes[3].gate.summary, "ROC-AUC of vae / mlp must be at least 0.4 above that of none (with the same detector)")
        XCTAssertEqual(GateSpec(metric: "pr_auc", variant: "vae", detector: "mlp", min: 0, relativeTo: "none").summary,
                       "PR-AUC of vae / mlp must be at least that of none (with the same detector)")
        let missedRelative = Gates.check([GateSpec(metric: "roc_auc", variant: "vae", detector: "mlp", min: 0.6, relativeTo: "none")], results: results)
        XCTAssertEqual(missedRelative.first?.message,
                       "ROC-AUC of vae / mlp must be at least 0.6 above that of none (with the same detector), but vae / mlp has 0.5000 above that of none")
        XCTAssertEqual(outcomes[3].checks.first?.value, 0.5, "1 - 0.5")
        XCTAssertTrue(outcomes[4].message?.contains("undefined") == true, "an undefined metric never passes")
    }

    func test_diff_showsChangesAndMissingResults() {
        let before = MetricsDocument(pipeline: "p", results: [result("none", "mlp", [0.9, 0.6, 0.7, 0.1], [1, 0, 0, 1]),
                                                              result("smote", "mlp", [0.9, 0.2], [1, 0])])
        let after = MetricsDocument(pipeline: "p", results: [result("none", "mlp", [0.9, 0.2, 0.7, 0.1], [1, 0, 1, 0]),
                                                             result("gan", "mlp", [0.9, 0.2], [1, 0])])
        let diff = MetricsDiff(before: before, after: after)
        XCTAssertEqual(diff.rows.first { $0.metric == "roc_auc" }?.change, 0.5)
        XCTAssertEqual(diff.onlyBefore, ["smote/mlp"])
        XCTAssertEqual(diff.onlyAfter, ["gan/mlp"])
        XCTAssertTrue(diff.table().contains("+0.5000  ▲"))
        XCTAssertTrue(diff.caveats.isEmpty, "the same test rows: \(diff.caveats)")
        XCTAssertEqual(MetricsDiff(before: before, after: before).table(), "no metric changed (2 results, 6 metrics each)")
        let otherRows = MetricsDocument(pipeline: "q", results: [result("none", "mlp", [0.9, 0.6, 0.7], [1, 0, 0])])
        XCTAssertEqual(MetricsDiff(before: before, after: otherRows).caveats, [
            "the runs are of different pipelines (p, q)",
            "the runs were measured on different test rows (2 rows, 1 anomalies; 4 rows, 2 anomalies vs 3 rows, 1 anomalies): their metrics are not comparable",
        ])
    }
}

final class HTMLReportTests: XCTestCase {
    func test_report_isWellFormedXML_withOneCurvePerVariant_andNoExternalReferences() throws {
        var content = ReportContent(metrics: MetricsDocument(pipeline: "demo <&>", results: []))
        let variants = ["none", "smote", "vae"]
        content.curves = [ReportContent.DetectorCurves(
            detector: "mlp",
            roc: variants.map { Series(label: $0, points: [Point(0, 0), Point(0.2, 0.7), Point(1, 1)]) },
            precisionRecall: variants.map { Series(label: $0, points: [Point(0, 1), Point(1, 0.3)]) })]
        content.histograms = [ReportContent.Histogram(title: "none / mlp", normal: [0.1, 0.2, 0.2, 9e9], anomalous: [0.8, 0.9])]
        content.scatter = [Series(label: "real normal", points: [Point(0, 0), Point(1, 1)], color: "#999")]
        content.losses = [(title: "generator vae", series: [Series(label: "train", points: [Point(1, 100), Point(2, 3), Point(3, 2)])])]
        content.quality = [ReportContent.QualityRow(label: "syn vae", values: [("mmd", 0.01), ("synthetic_rows", 300)])]
        let html = HTMLReport.render(content)
        let parser = XMLParser(data: Data(html.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "") at line \(parser.lineNumber)")
        XCTAssertTrue(html.contains("demo &lt;&amp;&gt;"), "text is escaped")
        let rocChart = try XCTUnwrap(html.range(of: "ROC — mlp")).upperBound
        let end = try XCTUnwrap(html.range(of: "</svg>", range: rocChart..<html.endIndex)).lowerBound
        XCTAssertEqual(html[rocChart..<end].components(separatedBy: "class=\"series\"").count - 1, variants.count, "one ROC curve per variant")
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"),
                       "nothing to fetch")
        XCTAssertFalse(html.contains("<script"))
        XCTAssertTrue(html.contains(ReportPlaceholders.stages))
        let stages = [StageRow(id: "prep", type: "preprocess", status: "cached", seconds: 0.01, key: "abcdef0123456789")]
        let filled = ReportPlaceholders.fill(html, gates: [], stages: stages, html: true)
        XCTAssertTrue(filled.contains("<td>prep</td><td>preprocess</td><td>cached</td>"))
        XCTAssertFalse(filled.contains("<!-- anomsynth:"), "every mark filled")
        XCTAssertFalse(filled.contains("quality gates"), "no gates, no gate lines")
        XCTAssertTrue(XMLParser(data: Data(filled.utf8)).parse())
        let missed = Gates.check([GateSpec(metric: "roc_auc", min: 1.01)], results: content.metrics.results)
        let gated = ReportPlaceholders.fill(html, gates: missed, stages: stages, html: true)
        XCTAssertTrue(gated.contains("1 of 1 quality gate missed.") && gated.contains("<h2>Quality gates</h2>"))
        let passedGate = try JSONDecoder().decode(GateOutcome.self, from: Data(#"{"gate": {"metric": "f1", "min": 0}, "passed": true, "checks": []}"#.utf8))
        XCTAssertTrue(ReportPlaceholders.fill(html, gates: [passedGate], stages: stages, html: true).contains("The quality gate passed."), "one gate: no 'All 1'")
        XCTAssertTrue(ReportPlaceholders.fill(html, gates: [passedGate, passedGate], stages: stages, html: true).contains("All 2 quality gates passed."))
        XCTAssertTrue(XMLParser(data: Data(gated.utf8)).parse())
        let markdown = ReportPlaceholders.fill(MarkdownReport.render(content), gates: missed, stages: stages, html: false)
        XCTAssertTrue(markdown.contains("## Quality gates") && markdown.contains("MISSED") && !markdown.contains("<!-- anomsynth:"))
    }
}
