import ArchiveIO
import Datasets
import Evaluation
import Foundation
import Models
import Reporting
import TensorCore

extension DetectorEvaluation {
    /// The report's content: curves and histograms of the first fold of each result,
    /// the PCA scatter, training curves and synthetic quality.
    func report(_ document: MetricsDocument) throws -> ReportContent {
        var content = ReportContent(metrics: document)
        let first = firstFold()
        for detector in orderedUnique(first.map(\.detector)) {
            let runs = first.filter { $0.detector == detector }
            content.curves.append(ReportContent.DetectorCurves(
                detector: detector,
                roc: runs.compactMap { run in
                    DetectionMetrics.rocCurve(scores: run.scores, labels: run.labels).map { Series(label: run.variant, points: $0.map { Point($0.x, $0.y) }) }
                },
                precisionRecall: runs.compactMap { run in
                    DetectionMetrics.precisionRecallCurve(scores: run.scores, labels: run.labels).map { Series(label: run.variant, points: $0.map { Point($0.x, $0.y) }) }
                }))
        }
        content.histograms = first.map { run in
            ReportContent.Histogram(title: "\(run.variant) / \(run.detector)",
                                    normal: zip(run.scores, run.labels).filter { $0.1 == 0 }.map(\.0),
                                    anomalous: zip(run.scores, run.labels).filter { $0.1 == 1 }.map(\.0))
        }
        try addScatter(to: &content)
        try addLosses(to: &content, detectors: first)
        content.quality = try qualityRows()
        let folds = orderedUnique(scored.map(\.fold)).filter { !$0.isEmpty }
        content.notes = [
            "Thresholds are chosen on each detector's validation rows (real training rows it did not fit on), never on the test set, then applied to the test set.",
            folds.count > 1 ? "\(folds.count) repetitions (\(folds.joined(separator: "; "))): metrics are means; charts show the first."
                : "One train/test split: intervals are bootstrap 95% intervals over test rows.",
            "Variants are compared against '\(params["baseline"]?.stringValue ?? "none")' with the same detector.",
        ]
        return content
    }

    /// The results of the first repetition (all of them when there are no repetitions).
    private func firstFold() -> [Scored] {
        guard let fold = scored.first?.fold else { return [] }
        return scored.filter { $0.fold == fold }
    }

    /// Inputs of one name with their labels (the variant, else the stage id), keeping only
    /// the first repetition.
    private func labelled(_ input: String) -> [(label: String, file: URL)] {
        let files = context.inputs[input] ?? [], origins = context.origins[input] ?? []
        var firstFold: String?
        return files.enumerated().compactMap { index, file in
            let origin = origins.indices.contains(index) ? origins[index] : InputOrigin(stage: input, output: input, assignments: [])
            let fold = foldName(origin.assignments)
            if firstFold == nil { firstFold = fold }
            guard fold == firstFold else { return nil }
            let base = String(origin.stage.split(separator: "@").first ?? Substring(origin.stage))
            return (variantName(origin.assignments) ?? base, file)
        }
    }

    private func addScatter(to content: inout ReportContent) throws {
        guard let file = (context.inputs["reference"] ?? context.inputs["test"])?.first else { return }
        let real = try DatasetArchive.read(file.path).dataset
        guard real.rowCount >= 2 else { return }
        let limit = params["scatter_rows"]?.integerValue ?? 1500
        var base = SeededRNG(seed: context.seed)
        var rng = base.derive("scatter")
        let pca = try PrincipalComponents(fitting: real.features, using: &rng)
        func sample(_ data: Dataset, _ rows: [Int]) throws -> [Point] {
            let chosen = rows.count > limit ? rng.sampleWithoutReplacement(limit, from: rows.count).sorted().map { rows[$0] } : rows
            return chosen.isEmpty ? [] : pca.project(try data.features.gatherRows(chosen))
        }
        let normal = (0..<real.rowCount).filter { real.labels[$0] == 0 }, anomalies = (0..<real.rowCount).filter { real.labels[$0] == 1 }
        // Synthetic sets first, the real rows on top of them.
        for (label, file) in labelled("synthetic") {
            let synthetic = try DatasetArchive.read(file.path).dataset
            guard synthetic.columns.count == real.columns.count else { continue }
            content.scatter.append(Series(label: label, points: try sample(synthetic, Array(0..<synthetic.rowCount))))
        }
        content.scatter += [Series(label: "real normal", points: try sample(real, normal), color: "#9e9e9e"),
                            Series(label: "real anomalies", points: try sample(real, anomalies), color: "#000000")]
        content.scatterNote = String(format: "The components explain %.0f%% and %.0f%% of the real rows' variance; up to %d rows per set.",
                                     pca.explained[0] * 100, pca.explained[1] * 100, limit)
    }

    private func addLosses(to content: inout ReportContent, detectors: [Scored]) throws {
        func chart(_ title: String, _ history: TrainingHistory) -> (title: String, series: [Series])? {
            guard !history.trainLoss.isEmpty else { return nil }
            var series = [Series(label: "train", points: history.trainLoss.enumerated().map { Point(Double($0.offset + 1), $0.element) })]
            if !history.validationLoss.isEmpty {
                series.append(Series(label: "validation", points: history.validationLoss.enumerated().map { Point(Double($0.offset + 1), $0.element) }))
            }
            return (title, series)
        }
        for (label, file) in labelled("generators") {
            let (generator, description) = try GeneratorStore.load(file.path)
            let title = label == generator.kind ? "generator \(label)" : "generator \(label) (\(generator.kind))"
            if let item = chart(title, description.history) { content.losses.append(item) }
        }
        for run in detectors {
            if let item = chart("detector \(run.variant) / \(run.detector)", run.history) { content.losses.append(item) }
        }
    }

    private func qualityRows() throws -> [ReportContent.QualityRow] {
        let names = ["synthetic_rows", "mmd", "classifier_auc", "precision", "recall", "distance_to_closest_record", "exact_copy_rate"]
        return try labelled("quality").map { label, file in
            guard let data = FileManager.default.contents(atPath: file.path),
                  let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw StageError("quality input \(label) is not a quality.json of a synthesize stage")
            }
            return ReportContent.QualityRow(label: label, values: names.compactMap { name in
                (object[name] as? NSNumber).map { (name, $0.doubleValue) }
            })
        }
    }
}
