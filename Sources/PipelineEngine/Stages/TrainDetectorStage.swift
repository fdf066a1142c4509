import ArchiveIO
import Datasets
import Foundation
import Models
import TensorCore

/// `train_detector`: fits a supervised or one-class detector. A stratified part of the
/// real rows is held out (the same rows for every detector of the same data, whatever
/// synthetic rows were added) for early stopping and for `evaluate` to choose the
/// threshold on; their scores are saved with the detector.
public enum TrainDetectorStage: StageImplementation {
    public static let type = "train_detector"
    public static let version = 4  // 2: convolutional forms for images, sample shape in the file; 3: the preprocessing transform inside; 4: stratified cross-fitting halves
    public static let summary = "Fit a detector: supervised (MLP classifier, logistic regression, gradient-boosted trees) or one-class (autoencoder, VAE, flow likelihood, GAN discriminator, isolation forest, kNN, histograms) on training rows, holding out real rows for validation."
    static let models = ModelRegistry.detectors.map(\.name)
    private static let defaults = DetectorSettings()
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("model", .choice(models), required: true,
                      "mlp, logistic and xgboost learn both classes; the others learn the normal rows (one-class)."),
        ParameterSpec("name", .string, "The detector's name in metrics and reports (default: the model)."),
        ParameterSpec("validation_fraction", .number(minimum: 0, maximum: 0.5, exclusive: false), default: .number(0.2),
                      "Share of the real rows held out (stratified) for early stopping and the threshold; 0: none."),
        ParameterSpec("validation_seed", .integer(minimum: 0, maximum: nil), default: .number(0),
                      "Seed of the held-out choice; detectors with the same value hold out the same real rows."),
        ParameterSpec("epochs", .integer(minimum: 1, maximum: 100_000), default: .number(Double(defaults.epochs)), "Training epochs (neural models)."),
        ParameterSpec("max_steps", .integer(minimum: 1, maximum: 100_000_000), default: .number(Double(defaults.maxSteps)),
                      "Neural models: most training steps (batches) over all epochs, so training time stops growing with the rows (160,000 rows at batch 128: 16 epochs); data up to about 12,800 rows never reach it at 200 epochs."),
        ParameterSpec("batch_size", .integer(minimum: 1, maximum: 65_536), default: .number(Double(defaults.batchSize)), "Rows per training step."),
        ParameterSpec("learning_rate", .number(minimum: 0, maximum: 1, exclusive: true), default: .number(defaults.learningRate), "Adam's learning rate."),
        ParameterSpec("early_stopping", .boolean, default: .bool(true),
                      "mlp, logistic, autoencoder, xgboost: stop when the validation loss has not improved for `patience` epochs (xgboost: rounds), keeping the best epoch's weights (trees); false: train every epoch (the validation rows still set the threshold)."),
        ParameterSpec("patience", .integer(minimum: 1, maximum: 100_000), default: .number(Double(defaults.patience)),
                      "Epochs without a better validation loss before stopping (best weights kept)."),
        ParameterSpec("hidden_units", .integer(minimum: 1, maximum: 4096), default: .number(Double(defaults.hiddenUnits)), "Width of each hidden layer."),
        ParameterSpec("hidden_layers", .integer(minimum: 0, maximum: 8), default: .number(Double(defaults.hiddenLayers)), "Hidden layers (mlp; autoencoder encoder)."),
        ParameterSpec("weight_decay", .number(minimum: 0, maximum: 1, exclusive: false), default: .number(defaults.weightDecay), "mlp, logistic: L2 weight decay."),
        ParameterSpec("class_weight", .choice(["balanced", "none"]), default: .string(defaults.classWeight),
                      "mlp, logistic, xgboost: weigh both classes equally, or every row the same."),
        ParameterSpec("synthetic_share", .number(minimum: 0, maximum: 1, exclusive: false),
                      "mlp, logistic, xgboost: the share of each class's weight its synthetic rows carry together (e.g. 0.5: the synthetic anomalies weigh as much as the real ones); default: every row of a class weighs the same."),
        ParameterSpec("unlabelled_suspects", .number(minimum: 0, maximum: 0.9, exclusive: false), default: .number(0),
                      "mlp, logistic, xgboost: positive-unlabelled learning for data whose normal rows hide unlabelled anomalies (ADBench's protocol): two cross-fitted models score each real row labelled normal on the half they did not see, and this share of those rows, the most anomalous-looking, is left out of the final fit; 0: off."),
        ParameterSpec("latent_dim", .integer(minimum: 1, maximum: 1024), default: .number(Double(defaults.latentDim)), "autoencoder bottleneck; VAE latent size."),
        ParameterSpec("negatives", .boolean, default: .bool(defaults.negatives),
                      "autoencoder, vae, flow, gan: semi-supervised, the anomalies among the training rows (e.g. synthetic ones) are negatives: their reconstruction error (autoencoder), negative ELBO (vae) or negative log-likelihood (flow) is pushed up; the GAN's discriminator sees them as fakes."),
        ParameterSpec("negative_weight", .number(minimum: 0, maximum: 100, exclusive: false), default: .number(defaults.negativeWeight),
                      "autoencoder with negatives: weight of the anomalies' term."),
        ParameterSpec("negative_margin", .number(minimum: 0, maximum: 1000, exclusive: true), default: .number(defaults.negativeMargin),
                      "vae, flow with negatives: how many nats worse than the normal rows the anomalies must score."),
        ParameterSpec("couplings", .integer(minimum: 1, maximum: 64), default: .number(Double(defaults.couplings)), "flow: affine coupling layers."),
        ParameterSpec("architecture", .choice(Architecture.allCases.map(\.rawValue)), default: .string(defaults.architecture.rawValue),
                      "Neural networks for the samples: auto (convolutional for images, dense for tables), dense, or conv (mlp becomes a CNN; autoencoder, vae, gan)."),
        ParameterSpec("filters", .integer(minimum: 1, maximum: 1024), default: .number(Double(defaults.filters)),
                      "Convolutional networks' base width f: encoder convolutions of f and 2f filters, decoder of 4f, 2f, f (the seeds' DCGAN: 64)."),
        ParameterSpec("trees", .integer(minimum: 1, maximum: 10_000), default: .number(Double(defaults.trees)), "iforest: trees; xgboost: the most boosting rounds (one tree each)."),
        ParameterSpec("max_depth", .integer(minimum: 1, maximum: 20), default: .number(Double(defaults.maxDepth)), "xgboost: depth of each tree."),
        ParameterSpec("eta", .number(minimum: 0.0001, maximum: 1, exclusive: false), default: .number(defaults.eta), "xgboost: shrinkage of each tree's contribution."),
        ParameterSpec("subsample", .number(minimum: 0.01, maximum: 1, exclusive: false), default: .number(defaults.subsample), "xgboost: share of rows each tree sees."),
        ParameterSpec("column_sample", .number(minimum: 0.01, maximum: 1, exclusive: false), default: .number(defaults.columnSample), "xgboost: share of columns each tree sees."),
        ParameterSpec("min_child_weight", .number(minimum: 0, maximum: 1e6, exclusive: false), default: .number(defaults.minChildWeight), "xgboost: least row weight in a leaf."),
        ParameterSpec("sample_size", .integer(minimum: 2, maximum: 1_000_000), default: .number(Double(defaults.sampleSize)), "iforest: rows per tree."),
        ParameterSpec("neighbours", .integer(minimum: 1, maximum: 1000), default: .number(Double(defaults.neighbours)), "knn: the k-th neighbour's distance is the score."),
        ParameterSpec("seed", .integer(minimum: 0, maximum: nil), "Overrides the seed derived from the pipeline seed and the stage id."),
    ]
    public static let inputs = [InputSpec("data", "Training rows: preprocessed (prep.train) or augmented (an augment stage).")]
    public static let outputs = [OutputSpec("model", file: "detector.safetensors",
                                            "The detector (safetensors; settings, schema, losses, training sources and validation scores inside).")]

    public static func run(_ context: StageContext) throws {
        let p = context.params
        guard let file = context.inputs["data"]?.first else { throw StageError("train_detector needs a `data` input") }
        let (data, transform) = try DatasetArchive.read(file.path)
        let model = p["model"]?.stringValue ?? "mlp"
        if let problem = check(p, upstream: [:]).first { throw StageError(problem.message) }
        let detector = try makeDetector(model, params: p)
        let (fitRows, validationRows) = try holdOut(data, fraction: p["validation_fraction"]?.numberValue ?? 0.2,
                                                    seed: UInt64(p["validation_seed"]?.integerValue ?? 0))
        var training = try data.rows(fitRows)
        let validation = validationRows.isEmpty ? nil : try data.rows(validationRows)
        if detector.isSupervised, training.anomalyCount == 0 {
            throw StageError("\(model) is supervised but its training rows hold no anomalies; add synthetic ones (augment) or choose a one-class model (autoencoder, vae, flow, gan, iforest, knn)")
        }
        var rng = SeededRNG(seed: context.seed)
        let suspects = p["unlabelled_suspects"]?.numberValue ?? 0
        let history = try TrainingProgress.reporting(to: context.progress) {
            if suspects > 0 {
                var crossFitting = rng.derive("unlabelled_suspects")
                training = try training.rows(try withoutSuspects(training, share: suspects, params: p, using: &crossFitting))
            }
            return try detector.fit(training, validation: p["early_stopping"]?.boolValue == false ? nil : validation, using: &rng)
        }
        var extras: [String: Tensor] = [:]
        if let validation {
            extras["validation_scores"] = try Tensor(shape: [validation.rowCount], scalars: try detector.scoreInChunks(validation))
            extras["validation_labels"] = try Tensor(shape: [validation.rowCount], scalars: validation.labels.map(Float.init))
        }
        let synthetic = Set(training.provenance.filter { $0 != 0 }).sorted().map { training.sources[Int($0)] }
        var metadata = ["name": p["name"]?.stringValue ?? model, "training_sources": synthetic.joined(separator: "\n"),
                        "synthetic_inputs": training.sources.dropFirst().joined(separator: "\n"),
                        "training_rows": String(training.rowCount), "training_anomalies": String(training.anomalyCount),
                        "unlabelled_suspects_left_out": String(fitRows.count - training.rowCount)]
        // What `anomsynth score` needs to apply the detector to new rows of the original columns.
        if let transform { metadata[DetectorStore.transformKey] = String(decoding: try DatasetArchive.canonicalJSON(transform), as: UTF8.self) }
        try DetectorStore.save(detector, schema: data.schema, history: history, metadata: metadata, extras: extras,
                               to: context.output("model", of: self).path)
    }

    /// Rules across parameters, for `validate` and before training.
    public static func check(_ params: JSONValue, upstream: [String: [UpstreamStage]]) -> [ParameterProblem] {
        let model = params["model"]?.stringValue ?? ""
        var problems: [ParameterProblem] = []
        if params["negatives"]?.boolValue == true, !["autoencoder", "vae", "flow", "gan"].contains(model) {
            problems.append(ParameterProblem("negatives", "negatives: true (anomalies as negatives) is for the autoencoder, vae, flow and gan; \(model) cannot use it"))
        }
        if (params["unlabelled_suspects"]?.numberValue ?? 0) > 0, let detector = try? makeDetector(model, params: params), !detector.isSupervised {
            problems.append(ParameterProblem("unlabelled_suspects", "unlabelled_suspects is for the supervised detectors (mlp, logistic, xgboost); \(model) learns the normal rows alone"))
        }
        if params["architecture"]?.stringValue == Architecture.conv.rawValue,
           let detector = try? makeDetector(model, params: params), !detector.hasConvolutionalForm {
            problems.append(ParameterProblem("architecture", "\(model) has no convolutional form; conv is for mlp, autoencoder, vae and gan"))
        }
        return problems
    }

    /// The rows to keep when `share` of the real rows labelled normal are set aside as
    /// suspected unlabelled anomalies: the rows of each class are shuffled and dealt in turn
    /// into two halves (so two labelled anomalies land one in each); a detector fitted on each
    /// half scores the other; the real normal-labelled rows with the highest of these
    /// out-of-fold scores (ties by row) are left out.
    static func withoutSuspects(_ data: Dataset, share: Double, params p: JSONValue, using rng: inout SeededRNG) throws -> [Int] {
        var halves: [[Int]] = [[], []]
        for label: UInt8 in [1, 0] {
            var rows = data.indices(ofClass: label)
            rng.shuffle(&rows)
            for (position, row) in rows.enumerated() { halves[position % 2].append(row) }
        }
        var outOfFold = [Float](repeating: 0, count: data.rowCount)
        for half in 0..<2 {
            let fitted = halves[1 - half].sorted(), scored = halves[half].sorted()
            let part = try data.rows(fitted)
            guard part.anomalyCount > 0, part.anomalyCount < part.rowCount else {
                throw StageError("unlabelled_suspects: half of the training rows holds \(part.anomalyCount) anomalies of \(part.rowCount); cross-fitting needs both classes in each half")
            }
            let detector = try makeDetector(p["model"]?.stringValue ?? "", params: p)
            try detector.fit(part, validation: nil, using: &rng)
            for (row, score) in zip(scored, try detector.scoreInChunks(try data.rows(scored))) { outOfFold[row] = score }
        }
        let candidates = (0..<data.rowCount).filter { data.labels[$0] == 0 && data.provenance[$0] == 0 }
            .sorted { outOfFold[$0] > outOfFold[$1] || (outOfFold[$0] == outOfFold[$1] && $0 < $1) }
        let suspects = Set(candidates.prefix(Int((share * Double(candidates.count)).rounded())))
        return (0..<data.rowCount).filter { !suspects.contains($0) }
    }

    /// The detector a stage's parameters describe.
    static func makeDetector(_ model: String, params p: JSONValue) throws -> any Detector {
        try ModelRegistry.detector(model).make(try p.decoded(DetectorSettings.self, stage: model))
    }

    /// Splits row indices into fitting and validation rows: a stratified share of the real
    /// rows (provenance 0) is held out, chosen by `seed` alone; synthetic rows always fit.
    static func holdOut(_ data: Dataset, fraction: Double, seed: UInt64) throws -> (fit: [Int], validation: [Int]) {
        guard fraction > 0 else { return (Array(0..<data.rowCount), []) }
        var rng = SeededRNG(seed: seed)
        var validation: [Int] = []
        for label: UInt8 in [0, 1] {
            var rows = (0..<data.rowCount).filter { data.provenance[$0] == 0 && data.labels[$0] == label }
            rng.shuffle(&rows)
            validation += rows.prefix(Int((Double(rows.count) * fraction).rounded()))
        }
        let held = Set(validation)
        return ((0..<data.rowCount).filter { !held.contains($0) }, validation.sorted())
    }
}
