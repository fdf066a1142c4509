import Datasets
import Evaluation
import Foundation
import TensorCore

/// `metrics.json` (a contract: docs/DESIGN.md). One result per variant and detector; keys
/// beyond the contract's are additions. An undefined metric (ROC-AUC without anomalies
/// in the test set) is `null`, with the reason in `warnings`, never NaN.
public struct MetricsDocument: Codable, Equatable, Sendable {
    public var pipeline: String
    public var results: [MetricsResult]
    /// Each variant against the baseline, per detector and metric.
    public var comparisons: [Comparison]
    public var gates: [GateOutcome]
    public var warnings: [String]
    /// What computed the results (tool version, BLAS library and kernel), so that two
    /// documents can be compared knowingly; absent in documents from before it existed.
    public var provenance: Provenance?
    /// Per explainable detector, the columns that matter to it and why its most anomalous
    /// test rows are so; absent when `evaluate` explains nothing.
    public var explanations: [ExplanationSummary]?

    public init(pipeline: String, results: [MetricsResult], comparisons: [Comparison] = [], gates: [GateOutcome] = [],
                warnings: [String] = [], provenance: Provenance? = nil) {
        self.pipeline = pipeline
        self.results = results
        self.comparisons = comparisons
        self.gates = gates
        self.warnings = warnings
        self.provenance = provenance
    }

    /// Whether every gate passed.
    public var gatesPassed: Bool { gates.allSatisfy(\.passed) }

    /// Deterministic JSON (sorted keys).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a `metrics.json`.
    /// - Throws: `ReportError` naming the file and what is wrong.
    public static func read(_ path: String) throws -> MetricsDocument {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(MetricsDocument.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ReportError("\(path): missing '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw ReportError("\(path): not a metrics.json (\(describeDecodingProblem(error)))")
        }
    }
}

/// What computed a `metrics.json`: results are byte-identical between documents whose
/// provenance is equal and whose BLAS kernel is pinned.
public struct Provenance: Codable, Equatable, Sendable {
    /// AnomSynth's version.
    public var anomsynth: String
    public var blas: KernelProvenance

    public init(anomsynth: String, blas: KernelProvenance) {
        self.anomsynth = anomsynth
        self.blas = blas
    }
}

/// Metrics of one detector on one test set.
public struct Scorecard: Codable, Equatable, Sendable {
    public var rocAUC: Double?
    public var prAUC: Double?
    public var f1: Double
    public var precision: Double
    public var recall: Double
    public var gmean: Double
    public var specificity: Double
    public var threshold: Double
    public var precisionAtK: Double?
    public var confusion: DetectionMetrics.Confusion
    public var nTest: Int
    public var nTestAnomalies: Int
    /// Bootstrap 95% intervals.
    public var rocAUCInterval: [Double]?
    public var prAUCInterval: [Double]?

    enum CodingKeys: String, CodingKey {
        case f1, precision, recall, gmean, specificity, threshold, confusion
        case rocAUC = "roc_auc", prAUC = "pr_auc", precisionAtK = "precision_at_k"
        case nTest = "n_test", nTestAnomalies = "n_test_anomalies"
        case rocAUCInterval = "roc_auc_ci", prAUCInterval = "pr_auc_ci"
    }

    // Always write the contract's keys, `null` when undefined.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rocAUC, forKey: .rocAUC)
        try c.encode(prAUC, forKey: .prAUC)
        try c.encode(f1, forKey: .f1)
        try c.encode(precision, forKey: .precision)
        try c.encode(recall, forKey: .recall)
        try c.encode(gmean, forKey: .gmean)
        try c.encode(specificity, forKey: .specificity)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(precisionAtK, forKey: .precisionAtK)
        try c.encode(confusion, forKey: .confusion)
        try c.encode(nTest, forKey: .nTest)
        try c.encode(nTestAnomalies, forKey: .nTestAnomalies)
        try c.encodeIfPresent(rocAUCInterval, forKey: .rocAUCInterval)
        try c.encodeIfPresent(prAUCInterval, forKey: .prAUCInterval)
    }

    /// Measures scores against labels at a threshold, with seeded bootstrap 95% intervals
    /// of ROC-AUC and PR-AUC (`resamples` 0: none).
    public static func measure(scores: [Float], labels: [UInt8], threshold: Float, resamples: Int,
                               using rng: inout SeededRNG) -> Scorecard {
        let confusion = DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: threshold)
        let anomalies = labels.filter { $0 == 1 }.count
        var rocInterval: [Double]?, prInterval: [Double]?
        if resamples > 0 {
            let ranked = RankedScores(scores: scores, labels: labels)
            rocInterval = ranked.bootstrapInterval(resamples: resamples, using: &rng) { $0.rocAUC(counts: $1) }.map { [$0.low, $0.high] }
            prInterval = ranked.bootstrapInterval(resamples: resamples, using: &rng) { $0.averagePrecision(counts: $1) }.map { [$0.low, $0.high] }
        }
        return Scorecard(
            rocAUC: Evaluation.rocAUC(scores: scores, labels: labels), prAUC: DetectionMetrics.averagePrecision(scores: scores, labels: labels),
            f1: confusion.f1, precision: confusion.precision, recall: confusion.recall, gmean: confusion.gmean,
            specificity: confusion.specificity, threshold: Double(threshold),
            precisionAtK: anomalies > 0 ? DetectionMetrics.precisionAtK(scores: scores, labels: labels, k: anomalies) : nil,
            confusion: confusion, nTest: labels.count, nTestAnomalies: anomalies,
            rocAUCInterval: rocInterval, prAUCInterval: prInterval)
    }

    /// The mean of several scorecards (folds): metrics averaged (an undefined one stays
    /// undefined if any fold lacks it), counts and confusions summed, no intervals.
    public static func mean(_ folds: [Scorecard]) -> Scorecard {
        precondition(!folds.isEmpty, "a mean of no folds")
        if folds.count == 1 { return folds[0] }
        func average(_ value: (Scorecard) -> Double) -> Double { folds.map(value).reduce(0, +) / Double(folds.count) }
        func averageDefined(_ value: (Scorecard) -> Double?) -> Double? {
            let values = folds.compactMap(value)
            return values.count == folds.count ? values.reduce(0, +) / Double(values.count) : nil
        }
        var confusion = folds[0].confusion
        for fold in folds.dropFirst() {
            confusion.truePositives += fold.confusion.truePositives
            confusion.falsePositives += fold.confusion.falsePositives
            confusion.trueNegatives += fold.confusion.trueNegatives
            confusion.falseNegatives += fold.confusion.falseNegatives
        }
        return Scorecard(rocAUC: averageDefined(\.rocAUC), prAUC: averageDefined(\.prAUC), f1: average(\.f1),
                           precision: average(\.precision), recall: average(\.recall), gmean: average(\.gmean),
                           specificity: average(\.specificity), threshold: average(\.threshold),
                           precisionAtK: averageDefined(\.precisionAtK), confusion: confusion,
                           nTest: folds.reduce(0) { $0 + $1.nTest }, nTestAnomalies: folds.reduce(0) { $0 + $1.nTestAnomalies },
                           rocAUCInterval: nil, prAUCInterval: nil)
    }

    /// A metric by its JSON name (`roc_auc`, `pr_auc`, `f1`, ...), nil when undefined or unknown.
    public func value(of metric: String) -> Double? {
        switch metric {
        case "roc_auc": rocAUC
        case "pr_auc": prAUC
        case "f1": f1
        case "precision": precision
        case "recall": recall
        case "gmean": gmean
        case "specificity": specificity
        case "precision_at_k": precisionAtK
        default: nil
        }
    }

    /// The metrics a gate or a comparison can name.
    public static let metricNames = ["roc_auc", "pr_auc", "f1", "precision", "recall", "gmean", "specificity", "precision_at_k"]
}

/// One row of `metrics.json`: a detector of one variant, its metrics (the mean over folds
/// when the pipeline repeats the evaluation) and, with folds, each fold's.
public struct MetricsResult: Codable, Equatable, Sendable {
    public var variant: String
    public var detector: String
    /// The `train_detector` stage(s) behind it.
    public var stages: [String]
    /// How the threshold was chosen, e.g. "best F1 on 120 validation rows (4 anomalies)".
    public var thresholdRule: String
    public var scorecard: Scorecard
    /// Per fold (repeat), when there are several.
    public var folds: [Fold]
    /// Standard deviation over folds of each metric, when there are several.
    public var spread: [String: Double]
    /// For the `auto` result: the variant / detector chosen on validation rows, per fold.
    public var chosen: [String]?

    public struct Fold: Codable, Equatable, Sendable {
        public var fold: String
        public var scorecard: Scorecard

        public init(fold: String, scorecard: Scorecard) {
            self.fold = fold
            self.scorecard = scorecard
        }

        public init(from decoder: Decoder) throws {
            fold = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .fold)
            scorecard = try Scorecard(from: decoder)
        }

        public func encode(to encoder: Encoder) throws {
            try scorecard.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(fold, forKey: .fold)
        }

        enum Keys: String, CodingKey { case fold }
    }

    enum Keys: String, CodingKey {
        case variant, detector, stages, folds, spread, chosen
        case thresholdRule = "threshold_rule"
    }

    public init(variant: String, detector: String, stages: [String], thresholdRule: String, folds: [Fold]) {
        self.variant = variant
        self.detector = detector
        self.stages = stages
        self.thresholdRule = thresholdRule
        self.scorecard = Scorecard.mean(folds.map(\.scorecard))
        self.folds = folds.count > 1 ? folds : []
        var spread: [String: Double] = [:]
        if folds.count > 1 {
            for metric in Scorecard.metricNames {
                let values = folds.compactMap { $0.scorecard.value(of: metric) }
                guard values.count == folds.count else { continue }
                let mean = values.reduce(0, +) / Double(values.count)
                spread[metric] = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
            }
        }
        self.spread = spread
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        variant = try c.decode(String.self, forKey: .variant)
        detector = try c.decode(String.self, forKey: .detector)
        stages = try c.decodeIfPresent([String].self, forKey: .stages) ?? []
        thresholdRule = try c.decodeIfPresent(String.self, forKey: .thresholdRule) ?? ""
        folds = try c.decodeIfPresent([Fold].self, forKey: .folds) ?? []
        spread = try c.decodeIfPresent([String: Double].self, forKey: .spread) ?? [:]
        chosen = try c.decodeIfPresent([String].self, forKey: .chosen)
        scorecard = try Scorecard(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        try scorecard.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(variant, forKey: .variant)
        try c.encode(detector, forKey: .detector)
        try c.encode(stages, forKey: .stages)
        try c.encode(thresholdRule, forKey: .thresholdRule)
        try c.encodeIfPresent(chosen, forKey: .chosen)
        if !folds.isEmpty {
            try c.encode(folds, forKey: .folds)
            try c.encode(spread, forKey: .spread)
        }
    }
}

/// A variant against the baseline variant for one detector and metric: the mean paired
/// difference over folds and, with enough folds, a Wilcoxon signed-rank test.
public struct Comparison: Codable, Equatable, Sendable {
    public var detector: String
    public var variant: String
    public var baseline: String
    public var metric: String
    public var meanDifference: Double
    /// Folds where the variant was better / worse than the baseline.
    public var wins: Int
    public var losses: Int
    public var wilcoxon: WilcoxonSignedRank.Result?
    /// Why there is no test, when there is none.
    public var note: String?

    public init(detector: String, variant: String, baseline: String, metric: String, meanDifference: Double,
                wins: Int, losses: Int, wilcoxon: WilcoxonSignedRank.Result?, note: String?) {
        self.detector = detector
        self.variant = variant
        self.baseline = baseline
        self.metric = metric
        self.meanDifference = meanDifference
        self.wins = wins
        self.losses = losses
        self.wilcoxon = wilcoxon
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case detector, variant, baseline, metric, wins, losses, wilcoxon, note
        case meanDifference = "mean_difference"
    }
}

/// Errors reading or writing reports.
public struct ReportError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
