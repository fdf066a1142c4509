import Datasets
import Foundation
import TensorCore

/// A supervised detector of gradient-boosted trees (`xgboost`), trained by XGBoost's
/// histogram method on real plus synthetic rows with the MLP's weighting options
/// (balanced classes, a share for the synthetic rows), stopping early on the validation
/// rows' weighted log loss (the best round's trees kept). One thread and a seed drawn from
/// the stage's generator make it repeat to the byte. The score is the predicted
/// probability of the anomaly class. Saved as XGBoost's own JSON model in the detector
/// file's metadata (`xgboost_model`), which `xgboost.Booster().load_model` reads.
public final class GradientBoostedTrees: Detector {
    public struct Config: Codable, Equatable, Sendable {
        /// The most boosting rounds (one tree each).
        public var rounds = 100
        public var maxDepth = 6
        /// Shrinkage of each tree's contribution (XGBoost's `eta`).
        public var eta = 0.1
        /// Share of rows each tree sees.
        public var subsample = 0.8
        /// Share of columns each tree sees.
        public var columnSample = 0.8
        public var minChildWeight = 1.0
        /// L2 regularization of leaf values (XGBoost's `lambda`).
        public var lambda = 1.0
        /// Rounds without a better validation loss before stopping.
        public var patience = 20
        /// Weighs each class by `rows / (2 · rows of the class)`.
        public var balanced = true
        /// The share of each class's weight its synthetic rows carry; nil: rows weigh the same.
        public var syntheticShare: Float?
        /// XGBoost's seed; drawn from the stage's generator when fitting.
        public var seed: UInt64 = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case rounds, eta, subsample, lambda, patience, balanced, seed
            case maxDepth = "max_depth", columnSample = "column_sample", minChildWeight = "min_child_weight"
            case syntheticShare = "synthetic_share"
        }
    }

    public let kind = "xgboost"
    public let isSupervised = true
    public private(set) var config: Config
    var booster: XGBoost.Booster?
    /// The metadata key of the saved XGBoost model.
    static let modelKey = "xgboost_model"

    public init(config: Config) { self.config = config }

    /// XGBoost's parameters for this config. One thread: the histogram sums, and so the
    /// trees, then repeat on every machine.
    private var parameters: [(String, String)] {
        [("objective", "binary:logistic"), ("tree_method", "hist"), ("nthread", "1"), ("seed", String(config.seed)),
         ("eta", String(config.eta)), ("max_depth", String(config.maxDepth)), ("subsample", String(config.subsample)),
         ("colsample_bytree", String(config.columnSample)), ("min_child_weight", String(config.minChildWeight)),
         ("lambda", String(config.lambda)), ("eval_metric", "logloss")]
    }

    static func matrix(_ data: Dataset, weights: RowWeights? = nil) throws -> XGBoost.Matrix {
        try XGBoost.Matrix(values: data.features.scalars, rows: data.rowCount, columns: data.features.shape.dropFirst().reduce(1, *),
                           labels: data.labels.map(Float.init),
                           weights: weights?.weights(labels: data.labels, synthetic: data.provenance.map { $0 != 0 }) ?? [])
    }

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        let anomalies = data.anomalyCount
        guard anomalies > 0, anomalies < data.rowCount else {
            throw ModelError("xgboost: a supervised detector needs both classes in its training rows, got \(anomalies) anomalies of \(data.rowCount) rows; add synthetic anomalies (augment) or use a one-class detector")
        }
        guard config.rounds >= 1, config.maxDepth >= 1 else { throw ModelError("xgboost: rounds and max_depth must be at least 1") }
        config.seed = rng.next() >> 33  // XGBoost reads its seed as a 32-bit integer
        let weights = RowWeights(data, balanced: config.balanced, syntheticShare: config.syntheticShare)
        let train = try Self.matrix(data, weights: weights)
        let held = try validation.flatMap { $0.rowCount > 0 ? try Self.matrix($0, weights: weights) : nil }
        let evaluated = [("train", train)] + (held.map { [("validation", $0)] } ?? [])
        let booster = try XGBoost.Booster(caching: evaluated.map(\.1), parameters: parameters)
        var history = TrainingHistory()
        for round in 0..<config.rounds {
            try booster.update(round: round, data: train)
            let losses = try booster.evaluate(round: round, evaluated.map { (name: $0.0, matrix: $0.1) })
            guard losses.allSatisfy(\.isFinite) else { throw ModelError("xgboost: the loss is not finite after round \(round + 1)") }
            history.trainLoss.append(losses[0])
            TrainingProgress.report(Double(round + 1) / Double(config.rounds))
            guard held != nil else { continue }
            history.validationLoss.append(losses[1])
            let best = history.bestEpoch ?? 0
            if losses[1] < history.validationLoss[best] || history.bestEpoch == nil { history.bestEpoch = round }
            if round - (history.bestEpoch ?? round) >= config.patience { break }
        }
        let kept = (history.bestEpoch ?? config.rounds - 1) + 1
        self.booster = kept < history.trainLoss.count ? try booster.prefix(rounds: kept) : booster
        return history
    }

    /// A detector from XGBoost's JSON model of `columns` features, checked first
    /// (`XGBoostModelCheck`): what restoring a saved detector does with its model entry.
    public static func restoring(model json: String, columns: Int) throws -> GradientBoostedTrees {
        try XGBoostModelCheck.check(json, columns: columns)
        let detector = GradientBoostedTrees(config: Config())
        detector.booster = try XGBoost.Booster(json: json, parameters: [("nthread", "1")])
        return detector
    }

    public func score(_ data: Dataset) throws -> [Float] {
        guard let booster else { throw ModelError("xgboost: score before fit") }
        try booster.set("nthread", String(Parallelism.threads))  // rows are predicted independently: the same bits
        return try booster.predict(Self.matrix(data))
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        guard booster != nil else { throw ModelError("xgboost: save before fit") }
        return (try settingsJSON(config), [:])
    }

    public func exportMetadata() throws -> [String: String] {
        guard let booster else { throw ModelError("xgboost: save before fit") }
        return [Self.modelKey: try booster.json()]
    }

    /// The `xgboost` kind: the trees' settings from the stage's.
    static let detectorKind = DetectorKind(name: "xgboost", make: { settings in
        var config = Config()
        config.rounds = settings.trees
        config.maxDepth = settings.maxDepth
        config.eta = settings.eta
        config.subsample = settings.subsample
        config.columnSample = settings.columnSample
        config.minChildWeight = settings.minChildWeight
        config.patience = settings.patience
        config.balanced = settings.classWeight != "none"
        config.syntheticShare = settings.syntheticShare.map(Float.init)
        return GradientBoostedTrees(config: config)
    }, restore: { file, source in
        let config = try ModelFile.decodeEntry(Config.self, "config", file.config, source)
        guard let json = file.metadata[modelKey] else { throw ModelError("\(source): the xgboost detector lacks its model (metadata \(modelKey))") }
        let detector = try restoring(model: json, columns: file.schema.columns.count)
        detector.config = config
        return detector
    })
}
