import ArchiveIO
import Datasets
import Evaluation
import Foundation
import Models
import Reporting
import TensorCore

/// The work of one `evaluate` stage: labels every detector input with its variant,
/// pairs it with its test set, measures it, and assembles the report.
struct DetectorEvaluation {
    /// One detector scored on one test set.
    struct Scored {
        var variant: String
        var detector: String
        var fold: String
        var stage: String
        var thresholdRule: String
        var scores: [Float]
        var labels: [UInt8]
        /// The test rows scored (for the report's most and least anomalous images).
        var test: Dataset
        var scorecard: Scorecard
        var history: TrainingHistory
        /// The detector's scores on its validation rows and their labels, when it has them.
        var validation: (scores: [Float], labels: [UInt8])?
    }

    /// The metrics `select_by` can choose by, measured on validation rows.
    static let selectionMetrics = ["validation_pr_auc", "validation_roc_auc"]

    let context: StageContext
    let settings: EvaluateSettings
    let repeatKeys: Set<String>
    private var tests: [(origin: InputOrigin, file: URL, data: Dataset?, transform: Transform?)] = []
    private(set) var scored: [Scored] = []
    private(set) var warnings: [String] = []

    init(_ context: StageContext) throws {
        self.context = context
        settings = try context.params.decoded(EvaluateSettings.self, stage: context.stageID)
        repeatKeys = Set(settings.repeatOver)
        let files = context.inputs["test"] ?? [], origins = context.origins["test"] ?? []
        guard !files.isEmpty else { throw StageError("evaluate needs a `test` input") }
        tests = files.enumerated().map { (origins.indices.contains($0.offset) ? origins[$0.offset] : InputOrigin(stage: "test", output: "data", assignments: []), $0.element, nil, nil) }
    }

    /// The variant a matrix assignment names, without the repetition keys; nil for none.
    func variantName(_ assignments: [MatrixAssignment]) -> String? {
        let core = assignments.filter { !repeatKeys.contains($0.key) }
        if core.isEmpty { return nil }
        return core.count == 1 ? core[0].value : MatrixAssignment.name(core)
    }

    func foldName(_ assignments: [MatrixAssignment]) -> String {
        MatrixAssignment.name(assignments.filter { repeatKeys.contains($0.key) })
    }

    /// The test set whose matrix values are all among the detector's (the most specific one),
    /// with the preprocessing that made it, if any.
    private mutating func test(for assignments: [MatrixAssignment], detector: String) throws -> (data: Dataset, transform: Transform?) {
        let candidates = tests.indices.filter { Set(tests[$0].origin.assignments).isSubset(of: Set(assignments)) }
        guard let index = candidates.max(by: { tests[$0].origin.assignments.count < tests[$1].origin.assignments.count }) else {
            throw StageError("no test input matches detector \(detector) (its variant: \(MatrixAssignment.name(assignments)))")
        }
        if let data = tests[index].data { return (data, tests[index].transform) }
        let (data, transform) = try DatasetArchive.read(tests[index].file.path)
        (tests[index].data, tests[index].transform) = (data, transform)
        if data.anomalyCount == 0 {
            warnings.append("test set \(tests[index].origin) has no anomalies: ROC-AUC and PR-AUC are undefined (they need both classes)")
        } else if data.anomalyCount == data.rowCount {
            warnings.append("test set \(tests[index].origin) has no normal rows: ROC-AUC is undefined (it needs both classes)")
        }
        return (data, transform)
    }

    /// Scores every detector and assembles `metrics.json`.
    mutating func measure() throws -> MetricsDocument {
        let files = context.inputs["detectors"] ?? [], origins = context.origins["detectors"] ?? []
        let rule = settings.threshold, contamination = settings.contamination, resamples = settings.bootstrap
        var rng = SeededRNG(seed: context.seed)
        var drafts: [Draft] = []
        var explained: [ExplanationMeasure.Fold] = []
        for (index, file) in files.enumerated() {
            let origin = origins.indices.contains(index) ? origins[index] : InputOrigin(stage: "detector \(index + 1)", output: "model", assignments: [])
            let saved = try DetectorStore.load(file.path)
            let name = saved.metadata["name"] ?? saved.detector.kind
            // Without a matrix value, the variant is what the detector's synthetic rows came from
            // ("gmm/typed" for "gmm/typed:local", "gmm/typed:global", ...), or "none".
            let sources = orderedUnique((saved.metadata["training_sources"] ?? "").split(separator: "\n").map {
                String($0.split(separator: ":").first ?? $0)
            })
            // Synthetic inputs that gave no rows at all (every row filtered out) still name the variant.
            let inputs = sources.isEmpty ? orderedUnique((saved.metadata["synthetic_inputs"] ?? "").split(separator: "\n").map {
                String($0.split(separator: ":").first ?? $0)
            }) : []
            let named = sources.isEmpty ? inputs : sources
            let variant = variantName(origin.assignments) ?? (named.isEmpty ? "none" : named.joined(separator: "+"))
            if !inputs.isEmpty {
                warnings.append("\(variant) / \(name): its synthetic inputs (\(inputs.joined(separator: ", "))) held no rows (the training rows already met the anomaly ratio, or the filters dropped every row: their quality.json says which), so \(origin.stage) learned from the real rows alone")
            }
            let (test, transform) = try self.test(for: origin.assignments, detector: origin.stage)
            guard test.columns.map(\.name) == saved.columns.map(\.name) else {
                throw StageError("detector \(origin.stage) was trained on columns \(saved.columns.map(\.name)), the test rows have \(test.columns.map(\.name)); both must come from the same preprocess stage")
            }
            let scores = try saved.detector.scoreInChunks(test)
            guard scores.allSatisfy(\.isFinite) else {
                throw StageError("detector \(origin.stage) gave non-finite scores on the test rows (a diverged model?)")
            }
            let (threshold, description) = try rule.choose(for: saved, contamination: contamination, name: "detector \(origin.stage)")
            // Tables only: a pixel's share of an image's score needs a saliency map, not a column ranking.
            if settings.explainRows > 0, test.rowShape.isEmpty, let explainable = saved.detector as? any ExplainableDetector {
                var planting = rng  // a copy: the drafts' generators stay as they were
                var plantingRNG = planting.derive("explain \(origin.stage)")
                explained.append(try ExplanationMeasure.explain(explainable, test: test, transform: transform, scores: scores, limit: settings.explainRows,
                                                                variant: variant, name: name, fold: foldName(origin.assignments), using: &plantingRNG))
            }
            drafts.append(Draft(variant: variant, detector: name, fold: foldName(origin.assignments), stage: origin.stage,
                                thresholdRule: description, scores: scores, test: test, history: saved.history,
                                validation: saved.extras["validation_scores"].flatMap { scores in
                                    saved.extras["validation_labels"].map { (scores.scalars, $0.scalars.map { UInt8($0) }) }
                                }, threshold: threshold, rng: rng.derive("\(origin.stage)")))
        }
        // The scorecards (bootstrap intervals: most of the stage's time) in parallel, each
        // from its own generator, so the values do not depend on the threads.
        scored = Self.measured(drafts, resamples: resamples)
        var results: [MetricsResult] = []
        // Grouped by detector (in input order), then variant (in input order).
        let detectors = orderedUnique(scored.map(\.detector)), variants = orderedUnique(scored.map(\.variant))
        let pairs = orderedUnique(scored.map { "\($0.variant)\u{0}\($0.detector)" }).sorted { a, b in
            let (x, y) = (a.split(separator: "\u{0}").map(String.init), b.split(separator: "\u{0}").map(String.init))
            return (detectors.firstIndex(of: x[1])!, variants.firstIndex(of: x[0])!) < (detectors.firstIndex(of: y[1])!, variants.firstIndex(of: y[0])!)
        }
        for key in pairs {
            let group = scored.filter { "\($0.variant)\u{0}\($0.detector)" == key }
            let folds = group.map(\.fold)
            if Set(folds).count != folds.count {
                throw StageError("two detectors are both \(group[0].variant)/\(group[0].detector) (stages \(group.map(\.stage).joined(separator: ", "))); give them different `name` parameters")
            }
            results.append(MetricsResult(variant: group[0].variant, detector: group[0].detector, stages: group.map(\.stage),
                                         thresholdRule: group[0].thresholdRule,
                                         folds: group.map { MetricsResult.Fold(fold: $0.fold, scorecard: $0.scorecard) }))
        }
        if settings.selectBy != "none" {
            var autoRNG = rng.derive("auto")
            let (auto, notes) = try AutoSelection(metric: settings.selectBy, top: settings.selectTop, contamination: contamination)
                .result(scored, resamples: resamples, using: &autoRNG)
            results.append(auto)
            warnings += notes
        }
        warnings += leakWarnings(results)
        // Gates are checked when the result is published (`EvaluateStage.completePublished`).
        var document = MetricsDocument(pipeline: context.pipelineName, results: results, comparisons: compare(), warnings: warnings,
                                       provenance: Provenance(anomsynth: AnomSynthVersion.current, blas: ProductKernel.provenance))
        document.explanations = explained.isEmpty ? nil : ExplanationMeasure.summaries(explained)
        return document
    }

    /// A detector scored on its test set, its scorecard still to measure.
    private struct Draft {
        var variant: String, detector: String, fold: String, stage: String, thresholdRule: String
        var scores: [Float]
        var test: Dataset
        var history: TrainingHistory
        var validation: (scores: [Float], labels: [UInt8])?
        var threshold: Float
        var rng: SeededRNG
    }

    /// Each draft with its scorecard, measured over the threads (each writes its own slot).
    private static func measured(_ drafts: [Draft], resamples: Int) -> [Scored] {
        var scorecards = [Scorecard?](repeating: nil, count: drafts.count)
        let parts = min(Parallelism.threads, drafts.count)
        scorecards.withUnsafeMutableBufferPointer { slots in
            let output = slots
            Parallelism.run(parts: parts) { part in
                for index in stride(from: part, to: drafts.count, by: parts) {
                    var own = drafts[index].rng
                    output[index] = Scorecard.measure(scores: drafts[index].scores, labels: drafts[index].test.labels,
                                                      threshold: drafts[index].threshold, resamples: resamples, using: &own)
                }
            }
        }
        return zip(drafts, scorecards).map { draft, scorecard in
            Scored(variant: draft.variant, detector: draft.detector, fold: draft.fold, stage: draft.stage, thresholdRule: draft.thresholdRule,
                   scores: draft.scores, labels: draft.test.labels, test: draft.test, scorecard: scorecard!, history: draft.history,
                   validation: draft.validation)
        }
    }

    /// Near-perfect separation: a column that alone separates the test classes, or every
    /// detector at ROC-AUC >= 0.999. Either usually means the label is a rule of the
    /// features (a leak), which a user must hear of before trusting the figures.
    private func leakWarnings(_ results: [MetricsResult]) -> [String] {
        var warnings: [String] = [], named = Set<String>()
        for test in tests.compactMap(\.data) {
            for (name, auc) in SeparationCheck.separatingColumns(test) where named.insert(name).inserted {
                warnings.append("column '\(name)' alone separates the test classes (ROC-AUC \(String(format: "%.4f", auc))): the label may be a rule of it (a leak); leave it out (ingest's ignore) unless it is truly known before the label")
            }
        }
        let aucs = results.compactMap(\.scorecard.rocAUC)
        if !aucs.isEmpty, aucs.count == results.count, aucs.allSatisfy({ $0 >= SeparationCheck.nearPerfect }),
           tests.compactMap(\.data).allSatisfy(SeparationCheck.applies) {
            warnings.append("every detector separates the test classes almost perfectly (ROC-AUC >= \(SeparationCheck.nearPerfect)"
                            + (named.isEmpty ? "): check that the label is not a rule of the features (a leak)" : "; see the columns above)"))
        }
        return warnings
    }

    /// Each variant against the baseline, per detector: paired by fold.
    private func compare() -> [Comparison] {
        let baseline = settings.baseline
        var comparisons: [Comparison] = []
        for detector in orderedUnique(scored.map(\.detector)) {
            let base = scored.filter { $0.detector == detector && $0.variant == baseline }
            guard !base.isEmpty else { continue }
            for variant in orderedUnique(scored.filter { $0.detector == detector && $0.variant != baseline }.map(\.variant)) {
                let runs = scored.filter { $0.detector == detector && $0.variant == variant }
                for metric in ["pr_auc", "roc_auc", "gmean", "f1"] {
                    let differences = runs.compactMap { run -> Double? in
                        guard let other = base.first(where: { $0.fold == run.fold }),
                              let a = run.scorecard.value(of: metric), let b = other.scorecard.value(of: metric) else { return nil }
                        return a - b
                    }
                    guard !differences.isEmpty else { continue }
                    let test = differences.count >= 5 ? WilcoxonSignedRank.test(differences) : nil
                    let note = differences.count < 5
                        ? "\(differences.count) paired \(differences.count == 1 ? "split" : "folds"): a test needs at least 5 (use split.folds in a matrix)"
                        : (test == nil ? "no non-zero differences" : nil)
                    comparisons.append(Comparison(detector: detector, variant: variant, baseline: baseline, metric: metric,
                                                  meanDifference: differences.reduce(0, +) / Double(differences.count),
                                                  wins: differences.filter { $0 > 0 }.count, losses: differences.filter { $0 < 0 }.count,
                                                  wilcoxon: test, note: note))
                }
            }
        }
        return comparisons
    }
}

/// The values in their first order, each once.
func orderedUnique(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}
