import ArchiveIO
import Datasets
import Foundation
import Models

/// Each stage type's cost model (`StageImplementation.estimate`): seconds of one core on
/// the reference machine, from the rows and columns it sees and its model. The constants
/// come from `anomsynth run pipelines/compare-generators.json --json` on a 100,000-row,
/// 20-column export (`scripts/make_wide_export.py`), each stage's seconds over its work.
enum CostRates {
    /// Multiply-adds per second of the dense networks' training (forward and backward
    /// counted as three passes): vae, gan and flow fit within 15% of it.
    static let multiplyAdds = 12e9
    /// Ingest, per source byte (plain text; a compressed source counts its bytes four times).
    static let ingestByte = 1.8e-8
    /// Preprocess, augment: per row and model column.
    static let preprocessCell = 7.5e-8
    static let augmentCell = 3.5e-8
    /// SMOTE: per anomaly and column (exact neighbours).
    static let smoteCell = 1e-6
    /// Synthesize: a start, and per synthetic row (drawing, filters, quality metrics on at most 10,000 rows).
    static let synthesizeStart = 0.05
    static let synthesizeRow = 4e-5
    /// XGBoost: per boosting round, row and column (histogram method).
    static let boostCell = 1.5e-8
    /// Isolation forest: per tree level a row descends.
    static let treeStep = 1e-8
    /// Gaussian mixture: EM iterations assumed.
    static let mixtureIterations = 100.0
    /// Evaluate: per detector and test row at 1,000 bootstrap resamples (scoring, threshold, intervals).
    static let evaluateRow = 1.4e-5
    /// A stage's least cost (reading and writing its files).
    static let stageStart = 0.02
}

/// A dense network's multiply-adds per row: `inputs → hidden... → outputs`.
private func denseMultiplyAdds(_ inputs: Int, _ hidden: [Int], _ outputs: Int) -> Double {
    let widths = [inputs] + hidden + [outputs]
    return zip(widths, widths.dropFirst()).reduce(0) { $0 + Double($1.0 * $1.1) }
}

/// A convolutional network's multiply-adds per image of `[channels, height, width]` with base
/// width `filters` (4x4 kernels; f and 2f filters at strides 2, or the mirror).
private func convolutionalMultiplyAdds(_ image: [Int], filters: Int) -> Double {
    let (channels, pixels) = (Double(image[0]), Double(image[1] * image[2]))
    let f = Double(filters)
    return pixels / 4 * 16 * channels * f + pixels / 16 * 16 * f * 2 * f
}

/// Steps of a training loop: epochs over the rows in batches, up to `maxSteps`.
private func trainingSteps(rows: Int, epochs: Int, batchSize: Int, maxSteps: Int) -> Int {
    min(maxSteps, epochs * max(1, (rows + batchSize - 1) / max(1, batchSize)))
}

private func training(_ steps: Int, batch: Int, multiplyAdds: Double, what: String) -> (Double, String) {
    let seconds = Double(steps) * Double(batch) * 3 * multiplyAdds / CostRates.multiplyAdds
    return (seconds, "\(steps.formatted()) steps x \(batch) rows of \(what)")
}

extension IngestStage {
    /// The source's bytes; and its shape when it may be read (a source up to 256 MiB is read
    /// as `run` would, in memory).
    public static func estimate(_ context: EstimateContext) -> StageEstimate? {
        guard let path = context.files.first, let size = InputFile.regularFileSize(path) else { return nil }
        let compressed = [".gz", ".zst", ".zip", ".tar", ".xz", ".bz2"].contains { path.hasSuffix($0) }
        let seconds = CostRates.stageStart + Double(size) * CostRates.ingestByte * (compressed ? 4 : 1)
        var estimate = StageEstimate(seconds: seconds, why: "\(size.formatted()) bytes to read")
        guard context.readSources, size <= 256 << 20, let settings = try? context.params.decoded(IngestSettings.self, stage: ""),
              let dataset = try? Ingest.read(settings.request { URL(fileURLWithPath: $0, relativeTo: context.directory).standardizedFileURL.path }) else { return estimate }
        estimate.outputs["data"] = DataShape(dataset)
        return estimate
    }
}

extension PreprocessStage {
    /// Train and test rows by the split (a fold of `folds`, or `test_fraction`).
    public static func estimate(_ context: EstimateContext) -> StageEstimate? {
        guard let data = context.shape("data") else { return nil }
        let split = context.params["split"]
        let testShare = split?["folds"]?.integerValue.map { 1 / Double(max(2, $0)) } ?? split?["test_fraction"]?.numberValue ?? 0.3
        let test = Int((Double(data.rows) * testShare).rounded())
        return StageEstimate(seconds: CostRates.stageStart + Double(data.rows * data.columns) * CostRates.preprocessCell,
                             why: "\(data.rows.formatted()) rows x \(data.columns) columns",
                             outputs: ["train": data.scaled(to: data.rows - test), "test": data.scaled(to: test)])
    }
}

extension TrainGeneratorStage {
    /// Neural models by their training steps and network size; SMOTE and the mixture by their rows.
    public static func estimate(_ context: EstimateContext) -> StageEstimate? {
        guard let data = context.shape("data"), let s = try? context.params.decoded(GeneratorSettings.self, stage: "") else { return nil }
        let trainOn = context.params["train_on"]?.stringValue ?? "anomalies"
        let rows = trainOn == "anomalies" ? data.anomalies : trainOn == "normal" ? data.normal : data.rows
        let (d, c) = (data.columns, s.conditional ? 1 : 0)
        let steps = trainingSteps(rows: rows, epochs: s.epochs, batchSize: s.batchSize, maxSteps: s.maxSteps)
        let convolutional = !data.image.isEmpty && s.architecture != .dense
        let network = convolutional ? convolutionalMultiplyAdds(data.image, filters: s.filters) : 0
        let (seconds, why): (Double, String)
        switch s.model {
        case "smote":
            (seconds, why) = (Double(rows * d) * CostRates.smoteCell, "neighbours of \(rows.formatted()) rows x \(d) columns")
        case "gmm":
            (seconds, why) = (Double(rows * d * s.components) * CostRates.mixtureIterations * 4 / CostRates.multiplyAdds,
                              "\(s.components) components on \(rows.formatted()) rows x \(d) columns")
        case "vae":
            let size = convolutional ? 2 * network
                : denseMultiplyAdds(d + c, s.hidden, 2 * s.latentDim) + denseMultiplyAdds(s.latentDim + c, s.hidden, d)
            (seconds, why) = training(steps, batch: s.batchSize, multiplyAdds: size, what: "a \(d)-column vae")
        case "gan":
            let (g, disc) = convolutional ? (network, network)
                : (denseMultiplyAdds(s.noiseDim + c, s.hidden, d), denseMultiplyAdds(d + c, s.hidden, 1))
            (seconds, why) = training(steps, batch: s.batchSize, multiplyAdds: g + 2 * disc, what: "a \(d)-column gan")
        default:
            let size = Double(s.couplings) * denseMultiplyAdds(d / 2 + c, [s.hiddenUnits, s.hiddenUnits], d)
            (seconds, why) = training(steps, batch: s.batchSize, multiplyAdds: size, what: "a \(d)-column \(s.model)")
        }
        return StageEstimate(seconds: CostRates.stageStart + seconds, why: why, outputs: ["model": data])
    }
}

extension SynthesizeStage {
    /// The rows `count` or `anomaly_ratio` asks for, drawn, filtered and measured.
    public static func estimate(_ context: EstimateContext) -> StageEstimate? {
        guard let reference = context.shape("reference") ?? context.shape("model") else { return nil }
        let count = context.params["anomaly_ratio"]?.numberValue.map {
            AugmentStage.rowsNeeded(ratio: $0, rows: reference.rows, anomalies: reference.anomalies)
        } ?? context.params["count"]?.integerValue ?? 200
        return StageEstimate(seconds: CostRates.synthesizeStart + Double(count) * CostRates.synthesizeRow,
                             why: "\(count.formatted()) synthetic rows",
                             outputs: ["data": DataShape(rows: count, columns: reference.columns, anomalies: count, image: reference.image)])
    }
}

extension AugmentStage {
    /// The data with the synthetic rows it takes.
    public static func estimate(_ context: EstimateContext) -> StageEstimate? {
        guard var data = context.shape("data") else { return nil }
        let available = context.inputs["synthetic"]?.reduce(0) { $0 + $1.rows } ?? 0
        let added = min(available, context.params["synthetic_count"]?.integerValue
            ?? context.params["anomaly_ratio"]?.numberValue.map { rowsNeeded(ratio: $0, rows: data.rows, anomalies: data.anomalies) } ?? 0)
        data.rows += added
        data.anomalies += added
        return StageEstimate(seconds: CostRates.stageStart + Double(data.rows * data.columns) * CostRates.augmentCell,
                             why: "\(data.rows.formatted()) rows x \(data.columns) columns", outputs: ["data": data])
    }
}

extension TrainDetectorStage {
    /// Neural detectors by their steps; trees by rounds or trees; kNN by its distances.
    public static func estimate(_ context: EstimateContext) -> StageEstimate? {
        guard let data = context.shape("data"), let s = try? context.params.decoded(DetectorSettings.self, stage: "") else { return nil }
        let fit = Int(Double(data.rows) * (1 - (context.params["validation_fraction"]?.numberValue ?? 0.2)))
        let d = data.columns
        let steps = trainingSteps(rows: fit, epochs: s.epochs, batchSize: s.batchSize, maxSteps: s.maxSteps)
        let hidden = [Int](repeating: s.hiddenUnits, count: s.hiddenLayers)
        let convolutional = !data.image.isEmpty && s.architecture != .dense
        let (seconds, why): (Double, String)
        switch s.model {
        case "xgboost":
            (seconds, why) = (Double(s.trees * fit * d) * CostRates.boostCell, "\(s.trees) rounds on \(fit.formatted()) rows x \(d) columns")
        case "iforest":
            let depth = log2(Double(max(2, s.sampleSize)))
            (seconds, why) = (Double(s.trees * data.rows) * depth * CostRates.treeStep, "\(s.trees) trees scoring \(data.rows.formatted()) rows")
        case "knn":
            let pairs = Double(data.rows - fit) * Double(fit)
            (seconds, why) = (pairs * Double(d) * 3 / CostRates.multiplyAdds, "\(d)-column distances among \(fit.formatted()) rows")
        case "hbos":
            (seconds, why) = (Double(data.rows * d) * CostRates.preprocessCell, "histograms of \(data.rows.formatted()) rows")
        default:
            let size = convolutional ? convolutionalMultiplyAdds(data.image, filters: s.filters)
                : ["vae", "autoencoder"].contains(s.model) ? 2 * denseMultiplyAdds(d, hidden, s.latentDim)
                : s.model == "flow" ? Double(s.couplings) * denseMultiplyAdds(d / 2, [s.hiddenUnits, s.hiddenUnits], d)
                : denseMultiplyAdds(d, hidden, 1)
            (seconds, why) = training(steps, batch: s.batchSize, multiplyAdds: size * (s.model == "gan" ? 2 : 1),
                                      what: "a \(d)-column \(s.model) (at most: early stopping ends it sooner)")
        }
        return StageEstimate(seconds: CostRates.stageStart + seconds, why: why, outputs: ["model": data])
    }
}

extension EvaluateStage {
    /// Every detector's scores on the test rows, with the bootstrap's resamples.
    public static func estimate(_ context: EstimateContext) -> StageEstimate? {
        guard let test = context.shape("test") else { return nil }
        let detectors = context.inputs["detectors"]?.count ?? 1
        let resamples = Double(context.params["bootstrap"]?.integerValue ?? 1000)
        let seconds = Double(detectors * test.rows) * CostRates.evaluateRow * max(0.1, resamples / 1000)
        return StageEstimate(seconds: CostRates.stageStart + seconds, why: "\(detectors) detector\(detectors == 1 ? "" : "s") on \(test.rows.formatted()) test rows")
    }
}

extension DataShape {
    /// A dataset's shape (categories counted as their one-hot columns).
    init(_ dataset: Dataset) {
        let columns = dataset.columns.reduce(0) { $0 + max(1, $1.categories?.count ?? 1) }
        self.init(rows: dataset.rowCount, columns: columns, anomalies: dataset.anomalyCount,
                  image: dataset.rowShape.count == 3 ? dataset.rowShape : [])
    }
}
