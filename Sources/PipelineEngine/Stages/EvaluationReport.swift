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
        // The real rows and the synthetic sets, read once for the scatter and the image grids.
        let real = try (context.inputs["reference"] ?? context.inputs["test"])?.first.map { try DatasetArchive.read($0.path).dataset }
        let synthetic = try labelled("synthetic").map { (label: $0.label, data: try DatasetArchive.read($0.file.path).dataset) }
        if let real { try addScatter(to: &content, real: real, synthetic: synthetic) }
        try addLosses(to: &content, detectors: first)
        content.quality = try qualityRows()
        if let real { content.imageGrids = try imageGrids(first, real: real, synthetic: synthetic) }
        let folds = orderedUnique(scored.map(\.fold)).filter { !$0.isEmpty }
        content.notes = [
            "Thresholds are chosen on each detector's validation rows (real training rows it did not fit on), never on the test set, then applied to the test set.",
            folds.count > 1 ? "\(folds.count) repetitions (\(folds.joined(separator: "; "))): metrics are means; charts show the first."
                : "One train/test split: intervals are bootstrap 95% intervals over test rows.",
            "Variants are compared against '\(settings.baseline)' with the same detector.",
        ] + document.results.compactMap { result in
            result.chosen.map { "auto: \(result.thresholdRule.components(separatedBy: "; ").last ?? "") detectors, without the test rows: \(orderedUnique($0).joined(separator: "; "))\(Set($0).count > 1 ? " (differs between repetitions)" : "")." }
        }
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

    private func addScatter(to content: inout ReportContent, real: Dataset, synthetic sets: [(label: String, data: Dataset)]) throws {
        guard real.rowCount >= 2 else { return }
        let limit = settings.scatterRows
        var base = SeededRNG(seed: context.seed)
        var rng = base.derive("scatter")
        let pca = try PrincipalComponents(fitting: real.features, using: &rng)
        func sample(_ data: Dataset, _ rows: [Int]) throws -> [Point] {
            let chosen = rows.count > limit ? rng.sampleWithoutReplacement(limit, from: rows.count).sorted().map { rows[$0] } : rows
            return chosen.isEmpty ? [] : pca.project(try data.features.gatherRows(chosen))
        }
        let normal = (0..<real.rowCount).filter { real.labels[$0] == 0 }, anomalies = (0..<real.rowCount).filter { real.labels[$0] == 1 }
        // Synthetic sets first, the real rows on top of them.
        for (label, synthetic) in sets {
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

    /// For image samples: grids of real normal and anomalous training images, of each
    /// synthetic set, and of each detector's most and least anomalous test images, all drawn
    /// with the real images' value range.
    private func imageGrids(_ runs: [Scored], real: Dataset, synthetic sets: [(label: String, data: Dataset)]) throws -> [ImageGrid] {
        let shape = real.sampleShape
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3, real.rowCount > 0 else { return [] }
        let values = real.features.scalars.filter(\.isFinite)
        let range = (values.min() ?? 0)...(max(values.max() ?? 1, (values.min() ?? 0) + 1e-6))
        var base = SeededRNG(seed: context.seed)
        var rng = base.derive("images")
        func images(_ data: Dataset, _ rows: [Int]) -> [[Float]] {
            let width = data.columns.count
            return rows.map { row in Array(data.features.scalars[(row * width)..<((row + 1) * width)]) }
        }
        func drawn(_ data: Dataset, _ rows: [Int], count: Int = 30) -> [[Float]] {
            images(data, rows.count > count ? rng.sampleWithoutReplacement(count, from: rows.count).sorted().map { rows[$0] } : rows)
        }
        var grids: [ImageGrid] = []
        for (title, label) in [("real normal (training)", UInt8(0)), ("real anomalies (training)", 1)] where !real.indices(ofClass: label).isEmpty {
            grids.append(try ImageGrid(title: title, images: drawn(real, real.indices(ofClass: label)), shape: shape, range: range))
        }
        for (label, synthetic) in sets {
            guard synthetic.sampleShape == shape, synthetic.rowCount > 0 else { continue }
            grids.append(try ImageGrid(title: "synthetic: \(label)", images: drawn(synthetic, Array(0..<synthetic.rowCount)), shape: shape, range: range))
        }
        for run in runs where run.test.sampleShape == shape && run.test.rowCount > 0 {
            let order = run.scores.indices.sorted { run.scores[$0] > run.scores[$1] || (run.scores[$0] == run.scores[$1] && $0 < $1) }
            let count = min(10, order.count)
            let most = Array(order.prefix(count)), least = Array(order.suffix(count).reversed())
            let anomalies = { (rows: [Int]) in rows.filter { run.test.labels[$0] == 1 }.count }
            grids.append(try ImageGrid(title: "\(run.variant) / \(run.detector): most anomalous (top row) and least anomalous test images",
                                       caption: "Top row: \(anomalies(most)) of \(count) are anomalies; bottom row: \(anomalies(least)) of \(count).",
                                       images: images(run.test, most) + images(run.test, least), shape: shape, range: range, columns: count))
        }
        return grids
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
