import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A VAE for mixed tabular rows (TVAE-style): Gaussian likelihood with learned
/// per-column variances for numeric columns, softmax cross-entropy for one-hot
/// groups, a `beta` weight on the KL term with an optional linear warm-up, and an
/// optional class condition (CVAE: the label, one-hot, joins encoder and decoder). For
/// image samples the encoder and decoder are convolutional (`ConvolutionalNetworks`) and
/// draws are the decoder's means (pixel noise would only blur the images).
public final class TabularVAE: Generator, Module {
    public struct Config: Codable, Equatable, Sendable {
        public var hidden = [128, 128]
        public var latent = 8
        public var beta: Float = 1
        /// Epochs over which the KL weight rises linearly from 0 to `beta` (0: none).
        public var klWarmupEpochs = 0
        public var conditional = false
        public var training = TrainingSettings()
        /// As a detector with synthetic negatives: it learns the normal rows (label 0) only,
        /// and each batch of rows labelled anomalous must have a mean negative ELBO this much
        /// above the normal batch's (a hinge).
        public var negativeMargin: Float? = nil
        /// nil: auto (convolutional for images).
        public var architecture: Architecture? = nil
        /// Convolutional networks' base width; nil: 64.
        public var filters: Int? = nil

        public init() {}

        enum CodingKeys: String, CodingKey {
            case hidden, latent, beta, conditional, training, architecture, filters
            case klWarmupEpochs = "kl_warmup_epochs"
            case negativeMargin = "negative_margin"
        }
    }

    public let kind = "vae"
    public let config: Config
    public private(set) var network: VariationalAutoencoder?
    private var logVariances: [Variable] = []
    private var groups = ColumnGroups([])
    /// Whether the samples are images (convolutional networks, draws without pixel noise).
    private var convolutional = false

    public init(config: Config) { self.config = config }

    public func namedParameters() -> [NamedVariable] {
        (network?.namedParameters() ?? []) + logVariances.enumerated().map { ("numeric_log_variance.\($0.offset)", $0.element) }
    }

    /// Builds the network for a schema (also used before loading saved weights).
    public func build(schema: SampleSchema, using rng: inout SeededRNG) throws {
        let columns = schema.columns
        guard config.latent >= 1 else { throw ModelError("vae: latent_dim must be at least 1, got \(config.latent)") }
        guard config.hidden.allSatisfy({ $0 >= 1 }) else { throw ModelError("vae: hidden sizes must be at least 1") }
        groups = ColumnGroups(columns)
        let conditions = config.conditional ? 2 : 0
        convolutional = try (config.architecture ?? .auto).usesConvolutions(for: schema, model: kind)
        if convolutional {
            let filters = config.filters ?? 64
            let (encoder, width) = try ConvolutionalNetworks.encoder(schema.shape, conditions: conditions, filters: filters, using: &rng)
            let decoder = try ConvolutionalNetworks.decoder(inputs: config.latent + conditions, schema.shape, filters: filters, using: &rng)
            network = VariationalAutoencoder(encoder: Sequential(encoder), encodedWidth: width, decoder: Sequential(decoder),
                                             inputs: columns.count, latent: config.latent, conditions: conditions, using: &rng)
        } else {
            network = VariationalAutoencoder(inputs: columns.count, hidden: config.hidden, latent: config.latent,
                                             conditions: conditions, using: &rng)
        }
        let (widths, isGroup) = groups.runs
        logVariances = zip(widths, isGroup).filter { !$0.1 }.map { Variable(Tensor.zeros([$0.0]), requiresGradient: true) }
        setTraining(false)
    }

    public func setTraining(_ training: Bool) { network?.setTraining(training) }

    private func condition(_ labels: [UInt8]) -> Variable? {
        config.conditional ? Variable(classCondition(labels)) : nil
    }

    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws -> TrainingHistory {
        guard data.rowCount >= 2 else { throw ModelError("vae: needs at least 2 training rows, got \(data.rowCount)") }
        try build(schema: data.schema, using: &rng)
        guard let network else { throw ModelError("vae: not built") }
        var adam = Adam(learningRate: config.training.learningRate)
        let batchesPerEpoch = max(1, (data.rowCount + config.training.batchSize - 1) / config.training.batchSize)
        var steps = 0
        func loss(_ rows: [Int], klWeight: Float, using rng: inout SeededRNG) throws -> Variable {
            let x = try data.features.gatherRows(rows)
            let c = condition(rows.map { data.labels[$0] })
            let (mean, logVariance) = try network.encode(Variable(x), condition: c)
            let outputs = try network.decode(try network.reparameterize(mean, logVariance, using: &rng), condition: c)
            let reconstruction = try groups.reconstructionLoss(outputs, targets: x, logVariances: logVariances)
            return try reconstruction + Loss.klDivergenceFromStandardNormal(mean: mean, logVariance: logVariance).scaled(by: klWeight)
        }
        var validationRNG = rng.derive("validation")
        let negatives = NegativeRows(data, enabled: config.negativeMargin != nil)
        return try TrainingLoop.run(model: self, name: "vae", rows: negatives.learned.count, settings: config.training, using: &rng, step: { picked, rng in
            let warm = config.klWarmupEpochs > 0 ? min(1, Float(steps / batchesPerEpoch + 1) / Float(config.klWarmupEpochs)) : 1
            steps += 1
            clearGradients()
            var value = try loss(picked.map { negatives.learned[$0] }, klWeight: config.beta * warm, using: &rng)
            if let margin = config.negativeMargin, let anomalies = negatives.draw(picked.count, using: &rng) {
                // relu(normal loss + margin - anomaly loss): anomalies at least `margin` worse explained.
                let anomalyLoss = try loss(anomalies, klWeight: config.beta * warm, using: &rng)
                value = try value + anomalyLoss.scaled(by: -1).shifted(by: value.value.scalar + margin).relu()
            }
            try value.backward()
            clipGradientNorm(namedParameters(), maxNorm: 10)
            adam.step(namedParameters())
            return Double(value.value.scalar)
        }, validate: { picked in
            var copy = validationRNG
            defer { validationRNG = copy }
            return Double(try loss(picked.map { negatives.learned[$0] }, klWeight: self.config.beta, using: &copy).value.scalar)
        })
    }

    public func sample(_ request: SampleRequest, using rng: inout SeededRNG) throws -> Tensor {
        guard request.count >= 1 else { throw ModelError("vae: count must be at least 1, got \(request.count)") }
        guard network != nil else { throw ModelError("vae: sample before fit") }
        let z = Tensor.normal([request.count, config.latent], standardDeviation: request.temperature, using: &rng)
        return try decode(z, label: request.label, using: &rng)
    }

    /// Decodes latents into rows: numeric means plus noise at the learned scale, one-hot groups drawn from their softmax.
    public func decode(_ z: Tensor, label: UInt8?, using rng: inout SeededRNG) throws -> Tensor {
        guard let network else { throw ModelError("vae: decode before fit") }
        if config.conditional, label == nil { throw ModelError("vae: a conditional model needs the class to sample") }
        let c = condition([UInt8](repeating: label ?? 0, count: z.rows))
        let outputs = try groups.softmaxGroups(try network.decode(Variable(z), condition: c)).value
        var rows = outputs
        let (widths, isGroup) = groups.runs
        var column = 0, run = 0
        for (width, group) in zip(widths, isGroup) {
            if !group && !convolutional {
                let scales = logVariances[run].value.scalars.map { Foundation.exp($0 / 2) }
                for r in 0..<rows.rows { for k in 0..<width { rows[r, column + k] += scales[k] * rng.normal() } }
                run += 1
            }
            column += width
        }
        return groups.discretize(rows, draw: true, using: &rng)
    }

    /// Each row's negative ELBO with the posterior mean as the latent (a deterministic
    /// anomaly score): the Gaussian negative log-likelihood of its numeric columns at the
    /// learned variances, the cross-entropy of its one-hot groups, and the KL term.
    public func negativeELBO(_ data: Dataset) throws -> [Float] {
        guard let network else { throw ModelError("vae: score before fit") }
        let (mean, logVariance) = try network.encode(Variable(data.features), condition: condition(data.labels))
        let outputs = try network.decode(mean, condition: condition(data.labels)).value
        let (widths, isGroup) = groups.runs
        let halfLog2Pi = Float(0.5 * Foundation.log(2 * Double.pi))
        return (0..<data.rowCount).map { r in
            var total: Float = 0, column = 0, run = 0
            for (width, group) in zip(widths, isGroup) {
                if group {
                    let logits = (column..<column + width).map { outputs[r, $0] }
                    let top = logits.max() ?? 0
                    let normalizer = top + Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - top) })
                    for k in 0..<width { total -= data.features[r, column + k] * (logits[k] - normalizer) }
                } else {
                    let variances = logVariances[run].value.scalars
                    for k in 0..<width {
                        let d = data.features[r, column + k] - outputs[r, column + k]
                        total += 0.5 * d * d * Foundation.exp(-variances[k]) + 0.5 * variances[k] + halfLog2Pi
                    }
                    run += 1
                }
                column += width
            }
            for k in 0..<config.latent {
                let m = mean.value[r, k], v = logVariance.value[r, k]
                total += 0.5 * (m * m + Foundation.exp(v) - 1 - v)
            }
            return total
        }
    }

    /// The posterior means of rows (for perturbation and interpolation in latent space).
    public func encode(_ data: Dataset) throws -> Tensor {
        guard let network else { throw ModelError("vae: encode before fit") }
        return try network.encode(Variable(data.features), condition: condition(data.labels)).mean.value
    }
}

extension TabularVAE: ConfiguredModel {
    static let generatorKind = neuralGeneratorKind("vae") { settings in
        var config = Config()
        config.hidden = settings.hidden
        config.latent = settings.latentDim
        config.beta = Float(settings.beta)
        config.klWarmupEpochs = settings.klWarmupEpochs
        config.conditional = settings.conditional
        config.training = settings.training
        (config.architecture, config.filters) = (settings.architecture, settings.filters)
        return TabularVAE(config: config)
    }

    static let detectorKind = oneClassKind("vae") { settings in
        var config = Config()
        config.hidden = [Int](repeating: settings.hiddenUnits, count: max(1, settings.hiddenLayers))
        config.latent = settings.latentDim
        config.negativeMargin = settings.negatives ? Float(settings.negativeMargin) : nil
        config.training = settings.training
        (config.architecture, config.filters) = (settings.architecture, settings.filters)
        return TabularVAE(config: config)
    }
}
