import ArchiveIO
import Datasets
import Evaluation
import Foundation
import Models
import Reporting
import TensorCore

/// `evaluate`: scores each detector on its test set, with the threshold chosen on the
/// detector's validation rows (never on the test set), and writes `metrics.json`,
/// `report.md` and `report.html`. In a matrix it gathers every variant into one report;
/// matrix keys named in `repeat_over` (folds, seeds) are repetitions of one variant,
/// averaged and compared with a paired Wilcoxon test against the baseline variant.
public enum EvaluateStage: StageImplementation {
    public static let type = "evaluate"
    /// The stage's own version (thousands; 2: the best-F1 threshold midway in its gap) and
    /// the report format's: a cached result is rebuilt when either changes.
    public static let version = 2_000 + HTMLReport.formatVersion
    public static let gathersVariants = true
    public static let summary = "Score detectors on the test rows with thresholds chosen on validation rows; compare variants; write metrics.json, report.md and report.html; check quality gates."
    private static let defaults = EvaluateSettings()
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("threshold", .choice(ThresholdRule.allCases.map(\.rawValue)), default: .string(defaults.threshold.rawValue),
                      "The threshold rule: best F1 on each detector's validation rows (falls back to contamination without validation anomalies), a contamination quantile of them, or decision: a classifier's own boundary (mlp, logistic, xgboost: probability 0.5, as scikit-learn's predict; other detectors: best F1)."),
        ParameterSpec("contamination", .number(minimum: 0, maximum: 0.5, exclusive: true), default: .number(defaults.contamination),
                      "Share of validation rows above the threshold with the contamination rule."),
        ParameterSpec("bootstrap", .integer(minimum: 0, maximum: 100_000), default: .number(Double(defaults.bootstrap)),
                      "Bootstrap resamples for the 95% intervals of ROC-AUC and PR-AUC (0: none)."),
        ParameterSpec("baseline", .string, default: .string(defaults.baseline), "The variant the others are compared against."),
        ParameterSpec("repeat_over", .strings, default: .array(defaults.repeatOver.map { .string($0) }),
                      "Matrix keys whose values repeat one variant (folds, seeds): averaged, and pairs for the Wilcoxon test."),
        ParameterSpec("select_by", .choice(["none"] + DetectorEvaluation.selectionMetrics), default: .string(defaults.selectBy),
                      "Adds a result `auto`: in each repetition, the variant and detector whose scores on their own validation rows (real training rows they did not fit on; never the test rows) are best by this metric; its test metrics are the chosen one's. One answer per dataset without peeking."),
        ParameterSpec("select_top", .integer(minimum: 1, maximum: 50), default: .number(Double(defaults.selectTop)),
                      "With select_by: how many of the best detectors `auto` combines: 1, the best alone; more, an ensemble averaging where each row's score falls among each one's validation scores (thresholded by best F1 on the ensemble's validation scores)."),
        ParameterSpec("scatter_rows", .integer(minimum: 10, maximum: 100_000), default: .number(Double(defaults.scatterRows)),
                      "Rows per set drawn in the report's PCA scatter."),
        ParameterSpec("explain_rows", .integer(minimum: 0, maximum: 1_000_000), default: .number(Double(defaults.explainRows)),
                      "Test rows (evenly spaced, per detector and fold) whose attributions give each explainable detector's column importance in metrics.json and the report, beside why its 10 most anomalous test rows are so, and its hit rate on anomalies planted in known columns (0: no explanations; tables only, not images)."),
        ParameterSpec("gates", .objects([
            ParameterSpec("metric", .choice(Scorecard.metricNames), required: true, "The metric bounded."),
            ParameterSpec("variant", .string, "Only this variant (default: every one)."),
            ParameterSpec("detector", .string, "Only this detector (default: every one)."),
            ParameterSpec("min", .number(minimum: nil, maximum: nil, exclusive: false), "Lowest value allowed."),
            ParameterSpec("max", .number(minimum: nil, maximum: nil, exclusive: false), "Highest value allowed."),
            ParameterSpec("relative_to", .string, "Bound the difference to this variant's value for the same detector."),
        ]), default: .array([]), "Quality gates: a miss makes `anomsynth run` exit 3 (after writing the report). Checked on the published metrics, not part of the cache key: editing a gate never recomputes them."),
        ParameterSpec("seed", .integer(minimum: 0, maximum: nil), "Overrides the seed derived from the pipeline seed and the stage id."),
    ]
    public static let inputs = [
        InputSpec("detectors", many: true, "Trained detectors (train_detector stages)."),
        InputSpec("test", "The test rows (e.g. prep.test)."),
        InputSpec("reference", required: false, "Real training rows for the PCA scatter (e.g. prep.train; default: the test rows)."),
        InputSpec("synthetic", required: false, many: true, "Synthetic sets to draw in the PCA scatter (synthesize stages)."),
        InputSpec("quality", required: false, many: true, "Quality of synthetic sets for the report's table (e.g. syn.quality)."),
        InputSpec("generators", required: false, many: true, "Generators whose training curves the report shows (train_generator stages)."),
    ]
    public static let outputs = [
        OutputSpec("metrics", file: "metrics.json", "One result per variant and detector (the contract of docs/DESIGN.md), comparisons, gates."),
        OutputSpec("report_html", file: "report.html", "A self-contained page with tables and SVG charts."),
        OutputSpec("report_md", file: "report.md", "The report's tables in Markdown."),
    ]

    public static let publicationParameters: Set<String> = ["gates"]

    public static func run(_ context: StageContext) throws {
        var evaluation = try DetectorEvaluation(context)
        let document = try evaluation.measure()
        let content = try evaluation.report(document)
        try document.encoded().write(to: context.output("metrics", of: self))
        try Data(HTMLReport.render(content).utf8).write(to: context.output("report_html", of: self))
        try Data(MarkdownReport.render(content).utf8).write(to: context.output("report_md", of: self))
    }

    /// Checks the gates against the published metrics and fills the reports' gate and stage
    /// marks; the run hears of the results, the missed gates and the warnings.
    public static func completePublished(_ outputs: [String: URL], params: JSONValue, run: [StageRow]) throws -> PublishedResults {
        guard let metrics = outputs["metrics"] else { return PublishedResults() }
        var document = try MetricsDocument.read(metrics.path)
        document.gates = Gates.check(try params.decoded(EvaluateSettings.self, stage: "evaluate").gates, results: document.results)
        try document.encoded().write(to: metrics)
        for (output, html) in [("report_html", true), ("report_md", false)] {
            guard let file = outputs[output] else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            try ReportPlaceholders.fill(text, gates: document.gates, stages: run, html: html).write(to: file, atomically: true, encoding: .utf8)
        }
        return PublishedResults(metrics: [metrics.path], reports: outputs["report_html"].map { [$0.path] } ?? [],
                                missedGates: document.gates.compactMap { $0.passed ? nil : $0.message ?? $0.gate.summary },
                                warnings: document.warnings)
    }
}
