import Foundation

/// The metric changes between two `metrics.json` documents, matched by variant and detector.
public struct MetricsDiff: Sendable {
    /// One metric of one variant and detector in both documents.
    public struct Row: Sendable, Equatable {
        public var variant: String
        public var detector: String
        public var metric: String
        public var before: Double?
        public var after: Double?
        public var change: Double? { before.flatMap { b in after.map { $0 - b } } }
    }

    public var rows: [Row] = []
    /// `variant/detector` present in only one of the documents.
    public var onlyBefore: [String] = []
    public var onlyAfter: [String] = []
    /// Why the two documents may not be comparable: other pipelines, other test rows.
    public var caveats: [String] = []

    /// The metrics compared.
    public static let metrics = ["roc_auc", "pr_auc", "f1", "precision", "recall", "gmean"]

    /// Matches the results of two documents by variant and detector.
    public init(before: MetricsDocument, after: MetricsDocument) {
        func key(_ r: MetricsResult) -> String { "\(r.variant)/\(r.detector)" }
        let afterByKey = Dictionary(after.results.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let beforeKeys = Set(before.results.map(key))
        for old in before.results {
            guard let new = afterByKey[key(old)] else { onlyBefore.append(key(old)); continue }
            for metric in Self.metrics {
                rows.append(Row(variant: old.variant, detector: old.detector, metric: metric,
                                before: old.scorecard.value(of: metric), after: new.scorecard.value(of: metric)))
            }
        }
        onlyAfter = after.results.map(key).filter { !beforeKeys.contains($0) }
        if before.pipeline != after.pipeline {
            caveats.append("the runs are of different pipelines (\(before.pipeline), \(after.pipeline))")
        }
        let tests = { (document: MetricsDocument) in Set(document.results.map { "\($0.scorecard.nTest) rows, \($0.scorecard.nTestAnomalies) anomalies" }) }
        if !before.results.isEmpty, !after.results.isEmpty, tests(before) != tests(after) {
            caveats.append("the runs were measured on different test rows (\(tests(before).sorted().joined(separator: "; ")) vs \(tests(after).sorted().joined(separator: "; "))): their metrics are not comparable")
        }
    }

    /// A fixed-width table of the metrics that changed (changes at least `threshold` in
    /// magnitude marked), or a line saying nothing changed; caveats first.
    public func table(threshold: Double = 0.01) -> String {
        func cell(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "undefined" }
        var lines = caveats.map { "note: \($0)" }
        let changed = rows.filter { $0.change != 0 }
        if changed.isEmpty {
            lines.append("no metric changed (\(Set(rows.map { "\($0.variant)/\($0.detector)" }).count) results, \(Self.metrics.count) metrics each)")
        } else {
            lines.append("variant              detector        metric     before     after      change")
        }
        for row in changed {
            let change = row.change.map { String(format: "%+.4f", $0) + (abs($0) >= threshold ? (($0 > 0) ? "  ▲" : "  ▼") : "") } ?? "–"
            lines.append([row.variant.padding(21), row.detector.padding(16), row.metric.padding(11), cell(row.before).padding(11),
                          cell(row.after).padding(11), change].joined())
        }
        if !changed.isEmpty, changed.count < rows.count { lines.append("(\(rows.count - changed.count) unchanged metrics not shown)") }
        if !onlyBefore.isEmpty { lines.append("only in the first: " + onlyBefore.joined(separator: ", ")) }
        if !onlyAfter.isEmpty { lines.append("only in the second: " + onlyAfter.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
