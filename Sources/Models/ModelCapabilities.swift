import Datasets
import TensorCore

// What a model can do beyond `Generator` and `Detector`, as protocols: synthesis strategies
// and generative detectors ask for a capability, never for a concrete class.

/// A generator that can be told which class to draw.
public protocol ClassConditional: Generator {
    /// Whether `sample` takes the class (`SampleRequest.label`): a conditional model, or
    /// SMOTE, which always draws anomalies.
    var drawsByClass: Bool { get }
}

/// A model with a density: the log-likelihood of rows (a normalizing flow).
public protocol DensityModel: ClassConditional {
    /// Log-density of each row, `[rows]`.
    func logLikelihood(_ rows: Tensor, labels: [UInt8]) throws -> [Float]
}

/// A model with a latent code: rows encode to latents and latents decode to rows (a VAE).
public protocol LatentCodeModel: ClassConditional {
    /// Latent dimensions.
    var latentSize: Int { get }
    /// The posterior means of rows, `[rows, latentSize]`.
    func encode(_ data: Dataset) throws -> Tensor
    /// Rows for latents `[n, latentSize]`, of class `label` for a conditional model.
    func decode(_ z: Tensor, label: UInt8?, using rng: inout SeededRNG) throws -> Tensor
}

/// A generative model that scores rows as a one-class detector (higher = more anomalous):
/// a VAE by its negative ELBO, a flow by its negative log-likelihood, a GAN by its
/// discriminator's negated "real" logit.
public protocol AnomalyScoring: NeuralGenerator {
    /// Whether it learns from the rows labelled anomalous as negatives.
    var learnsFromNegatives: Bool { get }
    /// One score per row; the model must be unconditional.
    func anomalyScores(_ data: Dataset) throws -> [Float]
}

/// A model of normal rows as a mixture whose draws can be distorted into ADBench's anomaly
/// types (scaled covariances, shifted means): the `typed` strategy.
public protocol DistortableMixture: Generator {
    /// Draws with every component's variance times `varianceScale` and its mean moved by
    /// `meanShift` standard deviations.
    func draw(_ count: Int, varianceScale: Double, meanShift: Double, using rng: inout SeededRNG) throws -> Tensor
}

extension GaussianMixture: DistortableMixture {}

extension TabularVAE: LatentCodeModel, AnomalyScoring {
    public var hasConvolutionalForm: Bool { true }
    public var drawsByClass: Bool { config.conditional }
    public var latentSize: Int { config.latent }
    public var learnsFromNegatives: Bool { config.negativeMargin != nil }
    public func anomalyScores(_ data: Dataset) throws -> [Float] { try negativeELBO(data) }
}

extension TabularFlow: DensityModel, AnomalyScoring {
    public var drawsByClass: Bool { config.conditional }
    public var learnsFromNegatives: Bool { config.negativeMargin != nil }
    public func anomalyScores(_ data: Dataset) throws -> [Float] {
        try logLikelihood(data.features, labels: data.labels).map { -$0 }
    }
}

extension TabularGAN: ClassConditional, AnomalyScoring {
    public var hasConvolutionalForm: Bool { true }
    public var drawsByClass: Bool { config.conditional }
    public var learnsFromNegatives: Bool { config.anomalyNegatives == true }
    public func anomalyScores(_ data: Dataset) throws -> [Float] { try discriminatorScores(data).map { -$0 } }
}

extension AutoencoderDetector {
    public var hasConvolutionalForm: Bool { true }
}

extension NeuralClassifier {
    /// The MLP becomes a CNN; logistic regression stays linear.
    public var hasConvolutionalForm: Bool { !config.hidden.isEmpty }
}

extension GenerativeDetector {
    public var hasConvolutionalForm: Bool { model.hasConvolutionalForm }
}

extension SMOTE: ClassConditional {
    public var drawsByClass: Bool { true }
}
