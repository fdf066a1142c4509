import Foundation

/// The report's tables as text cells, rendered by both the HTML and the Markdown report.
struct Table {
    var header: [String]
    var rows: [[String]]
    /// Rows to emphasize (the best variant of each detector by PR-AUC).
    var emphasized: Set<Int> = []

    /// One row per variant and detector: the contract's metrics, with bootstrap
    /// intervals or the spread over folds.
    static func results(_ metrics: MetricsDocument) -> Table {
        let folds = metrics.results.contains { !$0.folds.isEmpty }
        var table = Table(header: ["variant", "detector", "ROC-AUC", "PR-AUC", "F1", "precision", "recall", "G-mean", "threshold",
                                   "test rows (anomalies)"], rows: [])
        for result in metrics.results {
            let m = result.scorecard
            func withSpread(_ metric: String, _ value: Double?, interval: [Double]?) -> String {
                guard let value else { return "undefined" }
                if folds, let spread = result.spread[metric] { return "\(number(value)) ± \(number(spread))" }
                if let interval { return "\(number(value)) [\(number(interval[0]))–\(number(interval[1]))]" }
                return number(value)
            }
            table.rows.append([result.variant, result.detector, withSpread("roc_auc", m.rocAUC, interval: m.rocAUCInterval),
                               withSpread("pr_auc", m.prAUC, interval: m.prAUCInterval), withSpread("f1", m.f1, interval: nil),
                               number(m.precision), number(m.recall), withSpread("gmean", m.gmean, interval: nil),
                               String(format: "%.4g", m.threshold), "\(m.nTest) (\(m.nTestAnomalies))"])
        }
        for detector in Set(metrics.results.map(\.detector)) {
            let candidates = metrics.results.indices.filter { metrics.results[$0].detector == detector }
            if candidates.count > 1, let best = candidates.max(by: {
                (metrics.results[$0].scorecard.prAUC ?? -1) < (metrics.results[$1].scorecard.prAUC ?? -1)
            }) { table.emphasized.insert(best) }
        }
        return table
    }

    /// One row per detector and variant, a column per metric: the mean difference to the
    /// baseline, with the Wilcoxon p-value where there was a test.
    static func comparisons(_ metrics: MetricsDocument) -> Table {
        let names = ["pr_auc", "roc_auc", "gmean", "f1"]
        var rows: [[String]] = [], seen = Set<String>()
        for c in metrics.comparisons where seen.insert("\(c.detector)\u{0}\(c.variant)").inserted {
            let cells = names.map { name -> String in
                guard let item = metrics.comparisons.first(where: { $0.detector == c.detector && $0.variant == c.variant && $0.metric == name }) else { return "–" }
                let p = item.wilcoxon.map { String(format: " (p %.3f%@)", $0.pValue, $0.exact ? "" : ", approx.") } ?? ""
                return String(format: "%+.3f", item.meanDifference) + p
            }
            rows.append([c.detector, c.variant, c.baseline] + cells + ["\(c.wins)/\(c.losses)"])
        }
        return Table(header: ["detector", "variant", "vs", "Δ PR-AUC", "Δ ROC-AUC", "Δ G-mean", "Δ F1", "folds better/worse (PR-AUC)"], rows: rows)
    }

    /// The reason comparisons have no test, when none has.
    static func comparisonNote(_ metrics: MetricsDocument) -> String? {
        metrics.comparisons.contains { $0.wilcoxon != nil } ? nil : metrics.comparisons.first?.note
    }

    /// With few pairs an exact Wilcoxon test cannot reach small p-values (5 folds: at best
    /// 0.0625, two-sided): said beside the table, so that "not significant" is read rightly.
    static func pValueFloorNote(_ metrics: MetricsDocument) -> String? {
        guard let fewest = metrics.comparisons.compactMap({ $0.wilcoxon }).filter(\.exact).map(\.pairs).min(), fewest <= 6 else { return nil }
        let floor = 2 / Double(1 << fewest)
        return "with \(fewest) pairs (folds) the exact two-sided Wilcoxon p-value is at least \(String(format: "%.4g", floor)) even when every fold agrees; more folds or seeds (repeat_over) allow smaller ones"
    }

    /// What a better value of each synthetic-quality metric is.
    static let qualityDirections = [
        "mmd": "0 best", "classifier_auc": "0.5 best", "precision": "1 best", "recall": "1 best",
        "distance_to_closest_record": "higher: more private", "exact_copy_rate": "0 best",
    ]

    static func gates(_ gates: [GateOutcome]) -> Table {
        Table(header: ["gate", "result", "detail"], rows: gates.map { g in
            [g.gate.summary, g.passed ? "passed" : "MISSED",
             g.message ?? g.checks.map { "\($0.variant)/\($0.detector) = \($0.value.map(number) ?? "undefined")" }.joined(separator: ", ")]
        })
    }

    static func quality(_ rows: [ReportContent.QualityRow]) -> Table {
        var names: [String] = []
        for name in rows.flatMap({ $0.values.map(\.name) }) where !names.contains(name) { names.append(name) }
        let header = names.map { name in qualityDirections[name].map { "\(name) (\($0))" } ?? name }
        return Table(header: ["synthetic set"] + header, rows: rows.map { row in
            [row.label] + names.map { name in
                row.values.first { $0.name == name }.map { $0.value.rounded() == $0.value && abs($0.value) >= 2 ? String(Int($0.value)) : number($0.value) } ?? "–"
            }
        })
    }

    static func stages(_ stages: [StageRow]) -> Table {
        Table(header: ["stage", "type", "status", "seconds", "key"], rows: stages.map {
            [$0.id, $0.type, $0.status, String(format: "%.2f", $0.seconds), String($0.key.prefix(12))]
        })
    }

    static func number(_ value: Double) -> String { String(format: "%.3f", value) }
}
