import ArchiveIO
import Datasets
import Foundation
import Models
import TensorCore

/// `train_generator`: fits a generator (SMOTE, VAE, RealNVP flow, GAN) on model-space rows.
public enum TrainGeneratorStage: StageImplementation {
    public static let type = "train_generator"
    public static let version = 2  // 2: convolutional forms for images, sample shape in the file
    public static let summary = "Fit a generator (SMOTE, VAE, RealNVP flow, GAN, or a Gaussian mixture for typed anomalies) on preprocessed rows: all of them, the anomalies or the normal ones."
    private static let defaults = GeneratorSettings()
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("model", .choice(ModelRegistry.generators.map(\.name)), required: true,
                      "The generator (gmm: a Gaussian mixture of normal rows, for the typed strategy)."),
        ParameterSpec("train_on", .choice(["anomalies", "normal", "all"]), default: .string("anomalies"),
                      "Which rows it learns: the anomalies (minority), the normal rows (tail, perturb), or all (with `conditional`)."),
        ParameterSpec("conditional", .boolean, default: .bool(defaults.conditional), "VAE, flow, GAN: condition on the class (needs train_on: all)."),
        ParameterSpec("epochs", .integer(minimum: 1, maximum: 100_000), default: .number(Double(defaults.epochs)), "Training epochs (neural models)."),
        ParameterSpec("batch_size", .integer(minimum: 1, maximum: 65_536), default: .number(Double(defaults.batchSize)), "Rows per training step."),
        ParameterSpec("max_steps", .integer(minimum: 1, maximum: 100_000_000), default: .number(Double(defaults.maxSteps)),
                      "Most training steps (batches) over all epochs: on large data training stops here, so its time stops growing with the rows (160,000 rows at batch 128: 16 epochs); data up to about 17,000 rows never reach it at 150 epochs."),
        ParameterSpec("learning_rate", .number(minimum: 0, maximum: 1, exclusive: true), default: .number(defaults.learningRate), "Adam's learning rate."),
        ParameterSpec("hidden_units", .integer(minimum: 1, maximum: 4096), default: .number(Double(defaults.hiddenUnits)), "Width of each hidden layer."),
        ParameterSpec("hidden_layers", .integer(minimum: 1, maximum: 8), default: .number(Double(defaults.hiddenLayers)), "Hidden layers (VAE encoder/decoder, GAN networks, flow couplings' MLPs use 2)."),
        ParameterSpec("latent_dim", .integer(minimum: 1, maximum: 1024), default: .number(Double(defaults.latentDim)), "VAE latent size."),
        ParameterSpec("beta", .number(minimum: 0, maximum: 1000, exclusive: false), default: .number(defaults.beta), "VAE: weight of the KL term."),
        ParameterSpec("kl_warmup_epochs", .integer(minimum: 0, maximum: 100_000), default: .number(Double(defaults.klWarmupEpochs)), "VAE: epochs over which the KL weight rises to beta."),
        ParameterSpec("couplings", .integer(minimum: 1, maximum: 64), default: .number(Double(defaults.couplings)), "Flow: affine coupling layers."),
        ParameterSpec("noise_dim", .integer(minimum: 1, maximum: 1024), default: .number(Double(defaults.noiseDim)), "GAN: noise size."),
        ParameterSpec("objective", .choice(["standard", "hinge"]), default: .string(defaults.objective.rawValue),
                      "GAN: non-saturating loss, or hinge loss with a spectrally normalized discriminator."),
        ParameterSpec("architecture", .choice(Architecture.allCases.map(\.rawValue)), default: .string(defaults.architecture.rawValue),
                      "Neural networks for the samples: auto (convolutional for images, dense for tables), dense, or conv (gan: the seeds' DCGAN; vae)."),
        ParameterSpec("filters", .integer(minimum: 1, maximum: 1024), default: .number(Double(defaults.filters)),
                      "Convolutional networks' base width f: encoder convolutions of f and 2f filters, decoder of 4f, 2f, f (the seeds' DCGAN: 64)."),
        ParameterSpec("neighbours", .integer(minimum: 1, maximum: 100), default: .number(Double(defaults.neighbours)), "SMOTE: nearest anomalies to interpolate towards."),
        ParameterSpec("components", .integer(minimum: 1, maximum: 100), default: .number(Double(defaults.components)), "gmm: mixture components."),
        ParameterSpec("smote_variant", .choice(["standard", "borderline"]), default: .string(defaults.smoteVariant.rawValue), "SMOTE or Borderline-SMOTE."),
        ParameterSpec("validation_fraction", .number(minimum: 0, maximum: 0.5, exclusive: false), default: .number(defaults.validationFraction),
                      "Rows held out for early stopping (0: none)."),
        ParameterSpec("patience", .integer(minimum: 1, maximum: 100_000), default: .number(Double(defaults.patience)), "Epochs without improvement before stopping."),
        ParameterSpec("detector_validation_fraction", .number(minimum: 0, maximum: 0.5, exclusive: false), default: .number(0),
                      "The detectors' validation_fraction: the real rows train_detector holds out (with detector_validation_seed) are left out here too, so no synthetic row is made from a row the detectors validate on, and thresholds and select_by stay unbiased; 0: learn from every row."),
        ParameterSpec("detector_validation_seed", .integer(minimum: 0, maximum: nil), default: .number(0), "The detectors' validation_seed."),
        ParameterSpec("seed", .integer(minimum: 0, maximum: nil), "Overrides the seed derived from the pipeline seed and the stage id."),
    ]
    public static let inputs = [InputSpec("data", "Preprocessed training rows (e.g. prep.train).")]
    public static let outputs = [OutputSpec("model", file: "model.safetensors", "The trained generator (safetensors; config, schema and losses in its metadata).")]

    public static func check(_ params: JSONValue, upstream: [String: [UpstreamStage]]) -> [ParameterProblem] {
        let trainOn = params["train_on"]?.stringValue ?? "anomalies", model = params["model"]?.stringValue ?? ""
        var problems: [ParameterProblem] = []
        if params["conditional"]?.boolValue == true && trainOn != "all" {
            problems.append(ParameterProblem("conditional", "conditional: true needs train_on: all (the model must see both classes)"))
        }
        if model == "gmm" && trainOn == "anomalies" {
            problems.append(ParameterProblem("train_on", "a gmm models normal rows for the typed strategy: train_on must be normal or all"))
        }
        if model == "smote" && trainOn == "normal" {
            problems.append(ParameterProblem("train_on", "SMOTE interpolates anomalies: train_on must be anomalies or all"))
        }
        if params["architecture"]?.stringValue == Architecture.conv.rawValue,
           let settings = try? params.decoded(GeneratorSettings.self, stage: ""),
           let generator = try? ModelRegistry.generator(model).make(settings), !generator.hasConvolutionalForm {
            problems.append(ParameterProblem("architecture", "\(model) has no convolutional form; conv is for gan and vae"))
        }
        return problems
    }

    public static func run(_ context: StageContext) throws {
        let p = context.params
        guard let file = context.inputs["data"]?.first else { throw StageError("train_generator needs a `data` input") }
        var data = try DatasetArchive.read(file.path).dataset
        let trainOn = p["train_on"]?.stringValue ?? "anomalies"
        let model = p["model"]?.stringValue ?? ""
        if let problem = check(p, upstream: [:]).first { throw StageError(problem.message) }
        if let fraction = p["detector_validation_fraction"]?.numberValue, fraction > 0 {
            let seed = UInt64(p["detector_validation_seed"]?.integerValue ?? 0)
            data = try data.rows(try TrainDetectorStage.holdOut(data, fraction: fraction, seed: seed).fit)
        }
        if trainOn != "all" && model != "smote" {
            let keep = (0..<data.rowCount).filter { (data.labels[$0] == 1) == (trainOn == "anomalies") }
            guard keep.count >= 2 else {
                throw StageError("train_on: \(trainOn) leaves \(keep.count) rows; the data has \(data.anomalyCount) anomalies of \(data.rowCount) rows")
            }
            data = try data.rows(keep)
        }
        let generator = try ModelRegistry.generator(model).make(try p.decoded(GeneratorSettings.self, stage: context.stageID))
        var rng = SeededRNG(seed: context.seed)
        let history = try TrainingProgress.reporting(to: context.progress) { try generator.fit(data, using: &rng) }
        try GeneratorStore.save(generator, schema: data.schema, history: history, to: context.output("model", of: self).path)
    }
}
