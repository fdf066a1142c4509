import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A one-class detector: an autoencoder trained to reconstruct normal rows; the score is
/// a row's mean squared reconstruction error. For image samples the encoder and decoder
/// are convolutional (`ConvolutionalNetworks`) around a dense bottleneck.
///
/// With `negatives` it becomes semi-supervised (as Deep SAD, Ruff et al. 2020, does for
/// distances): anomalies in the training rows, e.g. synthetic ones, add
/// `negativeWeight · mean(1 / (error + ε))`, which pushes their reconstruction error up,
/// so that synthesis can help a one-class model too.
public final class AutoencoderDetector: Detector, Module {
    public struct Config: Codable, Equatable, Sendable {
        /// Encoder widths; the decoder mirrors them.
        public var hidden = [64, 32]
        public var bottleneck = 8
        public var negatives = false
        public var negativeWeight: Float = 1
        public var training = TrainingSettings()
        /// nil: auto (convolutional for images).
        public var architecture: Architecture? = nil
        /// Convolutional networks' base width; nil: 64.
        public var filters: Int? = nil

        public init() {}

        enum CodingKeys: String, CodingKey {
            case hidden, bottleneck, negatives, training, architecture, filters
            case negativeWeight = "negative_weight"
        }
    }

    public let kind = "autoencoder"
    public let isSupervised = false
    public let config: Config
    private var network: Sequential?

    public init(config: Config) { self.config = config }

    public func namedParameters() -> [NamedVariable] { network?.namedParameters() ?? [] }
    public func setTraining(_ training: Bool) { network?.setTraining(training) }

    /// Builds the network for a schema (also used before loading saved weights).
    public func build(schema: SampleSchema, using rng: inout SeededRNG) throws {
        let inputs = schema.columns.count
        guard inputs >= 1, config.bottleneck >= 1, config.hidden.allSatisfy({ $0 >= 1 }) else {
            throw ModelError("autoencoder: hidden sizes and the bottleneck must be at least 1")
        }
        if try (config.architecture ?? .auto).usesConvolutions(for: schema, model: kind) {
            let filters = config.filters ?? 64
            let (encoder, width) = try ConvolutionalNetworks.encoder(schema.shape, filters: filters, using: &rng)
            let code = Linear(inputs: width, outputs: config.bottleneck, initialization: .xavier, using: &rng)
            network = Sequential(encoder + [code] + (try ConvolutionalNetworks.decoder(inputs: config.bottleneck, schema.shape, filters: filters, using: &rng)))
            setTraining(false)
            return
        }
        let encoder = perceptronLayers([inputs] + config.hidden + [config.bottleneck], using: &rng)
        let decoder = perceptronLayers([config.bottleneck] + config.hidden.reversed() + [inputs], using: &rng)
        network = Sequential(encoder + decoder)  // a linear code between ReLU layers
        setTraining(false)
    }

    /// Each row's mean squared reconstruction error, `[rows]`.
    private func errors(_ x: Tensor) throws -> Variable {
        try squaredErrors(x).mean(axis: 1)
    }

    /// Each value's squared reconstruction error, `[rows, columns]`.
    func squaredErrors(_ x: Tensor) throws -> Variable {
        guard let network else { throw ModelError("autoencoder: used before fit") }
        return (try network(Variable(x)) - Variable(x)).square()
    }

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        let training = try checkedTrainingRows(data, negatives: config.negatives)
        let negatives = NegativeRows(training, enabled: config.negatives)
        let normal = negatives.learned
        try build(schema: data.schema, using: &rng)
        var adam = Adam(learningRate: config.training.learningRate)
        let heldNormal = try validation.map { try $0.rows($0.indices(ofClass: 0)) }.flatMap { $0.rowCount > 0 ? $0 : nil }
        return try TrainingLoop.run(model: self, name: kind, rows: normal.count, settings: config.training, using: &rng, step: { batch, rng in
            clearGradients()
            var loss = try errors(try training.features.gatherRows(batch.map { normal[$0] })).mean()
            if let anomalies = negatives.draw(batch.count, using: &rng) {
                let inverse = try Variable(Tensor(scalar: 1)) / errors(try training.features.gatherRows(anomalies)).shifted(by: 1e-3)
                loss = try loss + inverse.mean().scaled(by: config.negativeWeight)
            }
            try loss.backward()
            clipGradientNorm(namedParameters(), maxNorm: 10)
            adam.step(namedParameters())
            return Double(loss.value.scalar)
        }, validate: { held in
            Double(try self.errors(try training.features.gatherRows(held.map { normal[$0] })).mean().value.scalar)
        }, validateExternal: heldNormal.map { held in { Double(try self.errors(held.features).mean().value.scalar) } })
    }

    public func score(_ data: Dataset) throws -> [Float] {
        try errors(data.features).value.scalars
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        guard network != nil else { throw ModelError("autoencoder: save before fit") }
        return (try settingsJSON(config), stateTensors(of: self))
    }
}

extension AutoencoderDetector: InputSizedDetector {
    /// Encoder widths halve from `hidden_units` over `hidden_layers` layers; `latent_dim` is the bottleneck.
    static let detectorKind = DetectorKind(name: "autoencoder", make: { settings in
        var config = Config()
        config.hidden = (0..<max(1, settings.hiddenLayers)).map { max(1, settings.hiddenUnits >> $0) }
        config.bottleneck = settings.latentDim
        config.negatives = settings.negatives
        config.negativeWeight = Float(settings.negativeWeight)
        config.training = settings.training
        (config.architecture, config.filters) = (settings.architecture, settings.filters)
        return AutoencoderDetector(config: config)
    }, restore: { try restored($0, source: $1) })
}
