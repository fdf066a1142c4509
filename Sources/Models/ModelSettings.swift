import Foundation

/// What a `train_generator` stage asks of a generator: every model parameter, typed, with
/// its default here and nowhere else (the stage's parameter specs read them from
/// `GeneratorSettings()`). Decoded once from the validated parameters (where every
/// default is filled in); each kind takes the fields it uses.
public struct GeneratorSettings: Codable, Equatable, Sendable {
    public var model = ""
    public var conditional = false
    public var epochs = TrainingSettings().epochs
    public var batchSize = TrainingSettings().batchSize
    public var learningRate = TrainingSettings.defaultLearningRate
    public var validationFraction = TrainingSettings().validationFraction
    public var patience = TrainingSettings().patience
    public var hiddenUnits = 128
    public var hiddenLayers = 2
    public var latentDim = 8
    public var beta = 1.0
    public var klWarmupEpochs = 0
    public var couplings = 8
    public var noiseDim = 64
    public var objective = TabularGAN.Objective.standard
    public var neighbours = 5
    public var components = 5
    public var smoteVariant = SMOTE.Variant.standard
    public var architecture = Architecture.auto
    public var filters = 64
    public var maxSteps = TrainingSettings.defaultMaxSteps

    public init() {}

    /// The neural models' training loop settings.
    public var training: TrainingSettings {
        var settings = TrainingSettings(epochs: epochs, batchSize: batchSize, learningRate: Float(learningRate), patience: patience,
                                        validationFraction: validationFraction)
        settings.maxSteps = maxSteps
        return settings
    }

    /// `hiddenLayers` layers of `hiddenUnits`.
    public var hidden: [Int] { [Int](repeating: hiddenUnits, count: hiddenLayers) }

    enum CodingKeys: String, CodingKey {
        case model, conditional, epochs, patience, beta, couplings, objective, neighbours, components, architecture, filters
        case batchSize = "batch_size", learningRate = "learning_rate", validationFraction = "validation_fraction"
        case hiddenUnits = "hidden_units", hiddenLayers = "hidden_layers", latentDim = "latent_dim"
        case klWarmupEpochs = "kl_warmup_epochs", noiseDim = "noise_dim", smoteVariant = "smote_variant", maxSteps = "max_steps"
    }
}

/// What a `train_detector` stage asks of a detector, typed, with its defaults here only.
public struct DetectorSettings: Codable, Equatable, Sendable {
    public var model = ""
    public var epochs = TrainingSettings().epochs
    public var batchSize = TrainingSettings().batchSize
    public var learningRate = TrainingSettings.defaultLearningRate
    public var patience = TrainingSettings().patience
    public var maxSteps = TrainingSettings.defaultMaxSteps
    public var hiddenUnits = 64
    public var hiddenLayers = 2
    public var latentDim = 8
    public var weightDecay = 1e-4
    public var classWeight = "balanced"
    /// nil: every row of a class weighs the same.
    public var syntheticShare: Double?
    public var negatives = false
    public var negativeWeight = 1.0
    public var negativeMargin = 5.0
    public var couplings = 6
    public var trees = 100
    public var sampleSize = 256
    public var neighbours = 5
    public var maxDepth = 6
    public var eta = 0.1
    public var subsample = 0.8
    public var columnSample = 0.8
    public var minChildWeight = 1.0
    public var architecture = Architecture.auto
    public var filters = 64

    public init() {}

    /// The neural detectors' training loop settings (their validation rows come from the stage).
    public var training: TrainingSettings {
        var settings = TrainingSettings(epochs: epochs, batchSize: batchSize, learningRate: Float(learningRate), patience: patience)
        settings.maxSteps = maxSteps
        return settings
    }

    enum CodingKeys: String, CodingKey {
        case model, epochs, patience, negatives, couplings, trees, neighbours, architecture, filters, maxSteps = "max_steps"
        case batchSize = "batch_size", learningRate = "learning_rate", hiddenUnits = "hidden_units", hiddenLayers = "hidden_layers"
        case latentDim = "latent_dim", weightDecay = "weight_decay", classWeight = "class_weight", syntheticShare = "synthetic_share"
        case negativeWeight = "negative_weight", negativeMargin = "negative_margin", sampleSize = "sample_size"
        case eta, subsample, maxDepth = "max_depth", columnSample = "column_sample", minChildWeight = "min_child_weight"
    }
}
