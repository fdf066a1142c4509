import ArchiveIO
import Datasets
import Foundation
import Models
import TensorCore

/// `train_generator`: fits a generator (SMOTE, VAE, RealNVP flow, GAN) on model-space rows.
public enum TrainGeneratorStage: StageImplementation {
    public static let type = "train_generator"
    public static let version = 1
    public static let summary = "Fit a generator (SMOTE, VAE, RealNVP flow, GAN, or a Gaussian mixture for typed anomalies) on preprocessed rows: all of them, the anomalies or the normal ones."
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("model", .choice(["smote", "vae", "flow", "gan", "gmm"]), required: true,
                      "The generator (gmm: a Gaussian mixture of normal rows, for the typed strategy)."),
        ParameterSpec("train_on", .choice(["anomalies", "normal", "all"]), default: .string("anomalies"),
                      "Which rows it learns: the anomalies (minority), the normal rows (tail, perturb), or all (with `conditional`)."),
        ParameterSpec("conditional", .boolean, default: .bool(false), "VAE, flow, GAN: condition on the class (needs train_on: all)."),
        ParameterSpec("epochs", .integer(minimum: 1, maximum: 100_000), default: .number(200), "Training epochs (neural models)."),
        ParameterSpec("batch_size", .integer(minimum: 1, maximum: 65_536), default: .number(128), "Rows per training step."),
        ParameterSpec("learning_rate", .number(minimum: 0, maximum: 1, exclusive: true), default: .number(1e-3), "Adam's learning rate."),
        ParameterSpec("hidden_units", .integer(minimum: 1, maximum: 4096), default: .number(128), "Width of each hidden layer."),
        ParameterSpec("hidden_layers", .integer(minimum: 1, maximum: 8), default: .number(2), "Hidden layers (VAE encoder/decoder, GAN networks, flow couplings' MLPs use 2)."),
        ParameterSpec("latent_dim", .integer(minimum: 1, maximum: 1024), default: .number(8), "VAE latent size."),
        ParameterSpec("beta", .number(minimum: 0, maximum: 1000, exclusive: false), default: .number(1), "VAE: weight of the KL term."),
        ParameterSpec("kl_warmup_epochs", .integer(minimum: 0, maximum: 100_000), default: .number(0), "VAE: epochs over which the KL weight rises to beta."),
        ParameterSpec("couplings", .integer(minimum: 1, maximum: 64), default: .number(8), "Flow: affine coupling layers."),
        ParameterSpec("noise_dim", .integer(minimum: 1, maximum: 1024), default: .number(64), "GAN: noise size."),
        ParameterSpec("objective", .choice(["standard", "hinge"]), default: .string("standard"),
                      "GAN: non-saturating loss, or hinge loss with a spectrally normalized discriminator."),
        ParameterSpec("neighbours", .integer(minimum: 1, maximum: 100), default: .number(5), "SMOTE: nearest anomalies to interpolate towards."),
        ParameterSpec("components", .integer(minimum: 1, maximum: 100), default: .number(5), "gmm: mixture components."),
        ParameterSpec("smote_variant", .choice(["standard", "borderline"]), default: .string("standard"), "SMOTE or Borderline-SMOTE."),
        ParameterSpec("validation_fraction", .number(minimum: 0, maximum: 0.5, exclusive: false), default: .number(0),
                      "Rows held out for early stopping (0: none)."),
        ParameterSpec("patience", .integer(minimum: 1, maximum: 100_000), default: .number(20), "Epochs without improvement before stopping."),
        ParameterSpec("seed", .integer(minimum: 0, maximum: nil), "Overrides the seed derived from the pipeline seed and the stage id."),
    ]
    public static let inputs = [InputSpec("data", "Preprocessed training rows (e.g. prep.train).")]
    public static let outputs = [OutputSpec("model", file: "model.safetensors", "The trained generator (safetensors; config, schema and losses in its metadata).")]

    public static func run(_ context: StageContext) throws {
        let p = context.params
        guard let file = context.inputs["data"]?.first else { throw StageError("train_generator needs a `data` input") }
        var data = try DatasetArchive.read(file.path).dataset
        let trainOn = p["train_on"]?.stringValue ?? "anomalies"
        let conditional = p["conditional"]?.boolValue ?? false
        let model = p["model"]?.stringValue ?? ""
        if conditional && trainOn != "all" { throw StageError("conditional: true needs train_on: all (the model must see both classes)") }
        if model == "gmm" && trainOn == "anomalies" { throw StageError("a gmm models normal rows for the typed strategy: train_on must be normal or all") }
        if model == "smote" && trainOn == "normal" { throw StageError("SMOTE interpolates anomalies: train_on must be anomalies or all") }
        if trainOn != "all" && model != "smote" {
            let keep = (0..<data.rowCount).filter { (data.labels[$0] == 1) == (trainOn == "anomalies") }
            guard keep.count >= 2 else {
                throw StageError("train_on: \(trainOn) leaves \(keep.count) rows; the data has \(data.anomalyCount) anomalies of \(data.rowCount) rows")
            }
            data = try data.rows(keep)
        }
        var training = TrainingSettings(stageParameters: p)
        training.validationFraction = p["validation_fraction"]?.numberValue ?? 0
        let hidden = [Int](repeating: p["hidden_units"]?.integerValue ?? 128, count: p["hidden_layers"]?.integerValue ?? 2)
        let generator: any Generator
        switch model {
        case "gmm":
            generator = GaussianMixture(components: p["components"]?.integerValue ?? 5)
        case "smote":
            generator = SMOTE(neighbours: p["neighbours"]?.integerValue ?? 5,
                              variant: p["smote_variant"]?.stringValue == "borderline" ? .borderline : .standard)
        case "vae":
            var config = TabularVAE.Config()
            config.hidden = hidden
            config.latent = p["latent_dim"]?.integerValue ?? 8
            config.beta = Float(p["beta"]?.numberValue ?? 1)
            config.klWarmupEpochs = p["kl_warmup_epochs"]?.integerValue ?? 0
            config.conditional = conditional
            config.training = training
            generator = TabularVAE(config: config)
        case "flow":
            var config = TabularFlow.Config()
            config.couplings = p["couplings"]?.integerValue ?? 8
            config.hidden = hidden[0]
            config.conditional = conditional
            config.training = training
            generator = TabularFlow(config: config)
        default:
            var config = TabularGAN.Config()
            config.hidden = hidden
            config.noise = p["noise_dim"]?.integerValue ?? 64
            config.objective = p["objective"]?.stringValue == "hinge" ? .hinge : .standard
            config.conditional = conditional
            config.training = training
            generator = TabularGAN(config: config)
        }
        var rng = SeededRNG(seed: context.seed)
        let history = try TrainingProgress.reporting(to: context.progress) { try generator.fit(data, using: &rng) }
        try GeneratorStore.save(generator, columns: data.columns, history: history, to: context.output("model", of: self).path)
    }
}
