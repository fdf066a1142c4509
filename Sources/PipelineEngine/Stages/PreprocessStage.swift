import ArchiveIO
import Datasets
import Foundation
import TensorCore

/// `preprocess`: a seeded (stratified) train/test split, or a given test set, and an
/// invertible transform fitted on the training rows and applied to both.
public enum PreprocessStage: StageImplementation {
    public static let type = "preprocess"
    public static let version = 5  // 4: image data keep every pixel (scale pixels); 5: max_categories
    public static let summary = "Split into train and test (or take a given test set), fit imputation, scaling and one-hot encoding on train, apply to both."
    private static let defaults = PreprocessSettings()
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("scale", .choice(Scaling.allCases.map(\.rawValue)), default: .string(defaults.scale.rawValue), "How numeric columns are scaled."),
        ParameterSpec("imputation", .choice(Imputation.allCases.map(\.rawValue)), default: .string(defaults.imputation.rawValue), "How missing values are filled."),
        ParameterSpec("unknown_categories", .choice(UnknownCategory.allCases.map(\.rawValue)), default: .string(defaults.unknownCategories.rawValue),
                      "A test category never seen in training: all zeros (ignore) or an error."),
        ParameterSpec("max_categories", .integer(minimum: 2, maximum: 100_000), default: .number(Double(defaults.maxCategories)),
                      "A categorical column with more categories in training keeps one-hot columns for the max_categories - 1 most frequent and one NAME=(other) for the rest (an id-like column does not become thousands of columns; leave ids out at ingest)."),
        ParameterSpec("drop_constant_columns", .boolean, default: .bool(defaults.dropConstantColumns), "Set aside columns constant in training (restored on export)."),
        ParameterSpec("train_anomalies", .choice(PreprocessSettings.TrainAnomalies.allCases.map(\.rawValue)), default: .string(defaults.trainAnomalies.rawValue),
                      "The training part's anomalies: keep them, drop them (no labelled anomalies at all: one-class set-ups), or keep them labelled normal (unknown contamination). The test part keeps its anomalies."),
        ParameterSpec("labelled_share", .number(minimum: 0, maximum: 1, exclusive: false),
                      "With keep or unlabel: a seeded choice of this share of the training anomalies keeps its label (anomaly scarcity, e.g. 0.01); the others are dropped (keep) or stay in labelled normal (unlabel, as ADBench's semi-supervised protocol). Default: keep all labelled, unlabel none."),
        ParameterSpec("split", .object([
            ParameterSpec("test_fraction", .number(minimum: 0, maximum: 1, exclusive: true), default: .number(defaults.split.testFraction), "Share of rows for the test set."),
            ParameterSpec("stratify", .boolean, default: .bool(defaults.split.stratify), "Keep each class's share in both parts."),
            ParameterSpec("folds", .integer(minimum: 2, maximum: 100),
                          "k-fold instead of test_fraction: the rows are dealt into this many (stratified) folds and fold `fold` is the test set."),
            ParameterSpec("fold", .integer(minimum: 0, maximum: 99), default: .number(Double(defaults.split.fold)),
                          "The test fold (0-based) with `folds`; put it in the matrix (`prep.params.split.fold`) to run every fold."),
        ]), default: .object([]), "The train/test split (ignored when a `test` input is given)."),
    ]
    public static let inputs = [
        InputSpec("data", "The dataset to split (or the training set when `test` is given)."),
        InputSpec("test", required: false, "A separate test dataset; no split is made."),
    ]
    public static let outputs = [
        OutputSpec("train", file: "train.tar.zst", "Training rows in model space, with the transform."),
        OutputSpec("test", file: "test.tar.zst", "Test rows in model space, with the transform."),
    ]

    public static func run(_ context: StageContext) throws {
        let settings = try context.params.decoded(PreprocessSettings.self, stage: context.stageID)
        guard let dataFile = context.inputs["data"]?.first else { throw StageError("preprocess needs a `data` input") }
        let data = try DatasetArchive.read(dataFile.path).dataset
        var train: Dataset, test: Dataset
        if let testFile = context.inputs["test"]?.first {
            (train, test) = (data, try DatasetArchive.read(testFile.path).dataset)
        } else {
            var rng = SeededRNG(seed: context.seed)
            let split = settings.split
            if let folds = split.folds {
                (train, test) = try data.foldSplit(folds: folds, fold: split.fold, stratify: split.stratify, using: &rng, source: context.stageID)
            } else {
                (train, test) = try data.split(testFraction: split.testFraction, stratify: split.stratify, using: &rng, source: context.stageID)
            }
        }
        var anomalies = train.indices(ofClass: 1)
        var choice = SeededRNG(seed: context.seed)
        choice = choice.derive("labelled_share")
        choice.shuffle(&anomalies)
        let share = settings.labelledShare ?? (settings.trainAnomalies == .unlabel ? 0 : 1)
        let labelled = Set(anomalies.prefix(Int((Double(anomalies.count) * share).rounded())))
        switch settings.trainAnomalies {
        case .drop: train = try train.rows(train.indices(ofClass: 0))
        case .unlabel:
            for row in anomalies where !labelled.contains(row) { train.labels[row] = 0 }
        case .keep: train = try train.rows((0..<train.rowCount).filter { train.labels[$0] == 0 || labelled.contains($0) })
        }
        let transform = try Transform.fit(train, options: settings.options, maxCategories: settings.maxCategories, source: context.stageID)
        try DatasetArchive.write(try transform.apply(train, source: context.stageID), transform: transform,
                                 to: context.output("train", of: self).path, compression: context.archiveCompression)
        try DatasetArchive.write(try transform.apply(test, source: context.stageID), transform: transform,
                                 to: context.output("test", of: self).path, compression: context.archiveCompression)
    }
}
