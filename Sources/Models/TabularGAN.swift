import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A GAN for tabular rows: MLP generator (one-hot groups through a softmax) and
/// discriminator, optionally class-conditional (the label, one-hot, joins both
/// inputs). For image samples it is the seeds' DCGAN (`ConvolutionalNetworks`): the
/// decoder with tanh as generator, the encoder and a dense logit as discriminator. Two losses: the non-saturating GAN loss, and the hinge loss with a
/// spectrally normalized discriminator (chosen over WGAN-GP as the stabilized
/// variant: it needs no second-order gradients and costs one power-iteration step).
public final class TabularGAN: Generator, Module {
    public enum Objective: String, Codable, Sendable { case standard, hinge }

    public struct Config: Codable, Equatable, Sendable {
        public var hidden = [128, 128]
        public var noise = 64
        public var objective = Objective.standard
        public var conditional = false
        public var training = TrainingSettings()
        /// Rows of uniform noise, as a share of each batch, shown to the discriminator as
        /// fakes: spread over the data's box widened by half its width on each side, they
        /// teach it that empty space is not real (for the discriminator as a detector).
        public var noiseNegatives: Float? = nil
        /// As a detector with synthetic negatives: the generator learns the normal rows
        /// (label 0) only, and the discriminator sees the rows labelled anomalous as fakes.
        public var anomalyNegatives: Bool? = nil
        /// nil: auto (convolutional for images).
        public var architecture: Architecture? = nil
        /// Convolutional networks' base width (the seeds' 64); nil: 64.
        public var filters: Int? = nil

        public init() {
            training.learningRate = 2e-4
        }

        enum CodingKeys: String, CodingKey {
            case hidden, noise, objective, conditional, training, architecture, filters
            case noiseNegatives = "noise_negatives"
            case anomalyNegatives = "anomaly_negatives"
        }
    }

    public let kind = "gan"
    public let config: Config
    public private(set) var generator: Sequential?
    public private(set) var discriminator: Sequential?
    private var groups = ColumnGroups([])

    public init(config: Config) { self.config = config }

    public func namedParameters() -> [NamedVariable] {
        prefixed("generator", generator?.namedParameters() ?? []) + prefixed("discriminator", discriminator?.namedParameters() ?? [])
    }

    public func namedBuffers() -> [NamedVariable] { prefixed("discriminator", discriminator?.namedBuffers() ?? []) }

    public func setTraining(_ training: Bool) {
        generator?.setTraining(training)
        discriminator?.setTraining(training)
    }

    /// Builds both networks for a schema (also used before loading saved weights).
    public func build(schema: SampleSchema, using rng: inout SeededRNG) throws {
        let columns = schema.columns
        guard config.noise >= 1, !config.hidden.isEmpty, config.hidden.allSatisfy({ $0 >= 1 }) else {
            throw ModelError("gan: noise and hidden sizes must be at least 1")
        }
        groups = ColumnGroups(columns)
        let conditions = config.conditional ? 2 : 0
        if try (config.architecture ?? .auto).usesConvolutions(for: schema, model: kind) {
            guard config.objective == .standard else { throw ModelError("gan: the hinge objective has no convolutional form; use standard") }
            let filters = config.filters ?? 64
            generator = Sequential(try ConvolutionalNetworks.decoder(inputs: config.noise + conditions, schema.shape, filters: filters, using: &rng)
                                   + [Activation(.tanh)])
            let (trunk, width) = try ConvolutionalNetworks.encoder(schema.shape, conditions: conditions, filters: filters, using: &rng)
            discriminator = Sequential(trunk + [Linear(inputs: width, outputs: 1, initialization: .pytorch, using: &rng)])
            setTraining(false)
            return
        }
        var layers: [any Layer] = []
        var width = config.noise + conditions
        for size in config.hidden {
            layers += [Linear(inputs: width, outputs: size, using: &rng), Activation(.leakyRelu(slope: 0.2))]
            width = size
        }
        layers.append(Linear(inputs: width, outputs: columns.count, initialization: .xavier, using: &rng))
        generator = Sequential(layers)
        var critic: [any Layer] = []
        width = columns.count + conditions
        for size in config.hidden {
            critic.append(config.objective == .hinge ? SpectralLinear(inputs: width, outputs: size, using: &rng)
                          : Linear(inputs: width, outputs: size, using: &rng))
            critic.append(Activation(.leakyRelu(slope: 0.2)))
            width = size
        }
        critic.append(config.objective == .hinge ? SpectralLinear(inputs: width, outputs: 1, using: &rng)
                      : Linear(inputs: width, outputs: 1, initialization: .xavier, using: &rng))
        discriminator = Sequential(critic)
        setTraining(false)
    }

    private func condition(_ labels: [UInt8]) -> Tensor? {
        config.conditional ? classCondition(labels) : nil
    }

    private func generate(_ count: Int, condition: Tensor?, using rng: inout SeededRNG) throws -> Variable {
        guard let generator else { throw ModelError("gan: used before fit") }
        let noise = Tensor.normal([count, config.noise], using: &rng)
        let input = try condition.map { try Tensor.concatColumns([noise, $0]) } ?? noise
        return try groups.softmaxGroups(try generator(Variable(input)))
    }

    private func criticize(_ rows: Variable, condition: Tensor?) throws -> Variable {
        guard let discriminator else { throw ModelError("gan: used before fit") }
        return try discriminator(try condition.map { try Variable.concatColumns([rows, Variable($0)]) } ?? rows)
    }

    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws -> TrainingHistory {
        guard data.rowCount >= 2 else { throw ModelError("gan: needs at least 2 training rows, got \(data.rowCount)") }
        try build(schema: data.schema, using: &rng)
        guard let generator, let discriminator else { throw ModelError("gan: not built") }
        var generatorOptimizer = Adam(learningRate: config.training.learningRate, beta1: 0.5, beta2: 0.999)
        var discriminatorOptimizer = Adam(learningRate: config.training.learningRate, beta1: 0.5, beta2: 0.999)
        let low = try data.features.map { -$0 }.max(axis: 0).scalars.map { -$0 }, high = try data.features.max(axis: 0).scalars
        func noiseRows(_ count: Int, using rng: inout SeededRNG) throws -> Tensor {
            try Tensor(shape: [count, low.count], scalars: (0..<count * low.count).map { index in
                let j = index % low.count, width = high[j] - low[j]
                return rng.uniform(low[j] - width / 2, high[j] + width / 2)
            })
        }
        let negatives = NegativeRows(data, enabled: config.anomalyNegatives == true)
        /// Extra fakes for the discriminator: loss pushing its logit down on these rows.
        func fakeLoss(_ rows: Tensor, _ c: Tensor?) throws -> Variable {
            let score = try criticize(Variable(rows), condition: c)
            return config.objective == .hinge ? score.shifted(by: 1).relu().mean()
                : try Loss.binaryCrossEntropyWithLogits(score, targets: Tensor.zeros(score.shape))
        }
        return try TrainingLoop.run(model: self, name: "gan", rows: negatives.learned.count, settings: config.training, using: &rng) { picked, rng in
            let rows = picked.map { negatives.learned[$0] }
            let real = Variable(try data.features.gatherRows(rows))
            let c = condition(rows.map { data.labels[$0] })
            let fake = try generate(rows.count, condition: c, using: &rng)
            discriminator.clearGradients()
            let realScore = try criticize(real, condition: c), fakeScore = try criticize(fake.detached(), condition: c)
            var discriminatorLoss: Variable
            switch config.objective {
            case .standard:
                discriminatorLoss = try Loss.binaryCrossEntropyWithLogits(realScore, targets: Tensor(repeating: 1, shape: realScore.shape))
                    + Loss.binaryCrossEntropyWithLogits(fakeScore, targets: Tensor.zeros(fakeScore.shape))
            case .hinge:
                discriminatorLoss = try realScore.scaled(by: -1).shifted(by: 1).relu().mean() + fakeScore.shifted(by: 1).relu().mean()
            }
            if let share = config.noiseNegatives, share > 0 {
                let count = max(1, Int(Float(rows.count) * share))
                discriminatorLoss = try discriminatorLoss + fakeLoss(try noiseRows(count, using: &rng), condition([UInt8](repeating: 0, count: count)))
            }
            if let anomalies = negatives.draw(rows.count, using: &rng) {
                discriminatorLoss = try discriminatorLoss + fakeLoss(try data.features.gatherRows(anomalies), condition(anomalies.map { data.labels[$0] }))
            }
            try discriminatorLoss.backward()
            discriminatorOptimizer.step(discriminator.namedParameters())
            generator.clearGradients()
            let generatorLoss = try discriminator.withFrozenParameters { () -> Variable in
                let score = try criticize(fake, condition: c)
                switch config.objective {
                case .standard: return try Loss.binaryCrossEntropyWithLogits(score, targets: Tensor(repeating: 1, shape: score.shape))
                case .hinge: return score.mean().scaled(by: -1)
                }
            }
            try generatorLoss.backward()
            generatorOptimizer.step(generator.namedParameters())
            return Double(discriminatorLoss.value.scalar + generatorLoss.value.scalar)
        }
    }

    /// The discriminator's logit for each row ("how real"), `[rows]`.
    public func discriminatorScores(_ data: Dataset) throws -> [Float] {
        try criticize(Variable(data.features), condition: condition(data.labels)).value.scalars
    }

    public func sample(_ request: SampleRequest, using rng: inout SeededRNG) throws -> Tensor {
        guard request.count >= 1 else { throw ModelError("gan: count must be at least 1, got \(request.count)") }
        guard generator != nil else { throw ModelError("gan: sample before fit") }
        if config.conditional, request.label == nil { throw ModelError("gan: a conditional model needs the class to sample") }
        let rows = try generate(request.count, condition: condition([UInt8](repeating: request.label ?? 0, count: request.count)), using: &rng).value
        return groups.discretize(rows, draw: true, using: &rng)
    }
}

extension TabularGAN: ConfiguredModel {
    static let generatorKind = neuralGeneratorKind("gan") { settings in
        var config = Config()
        config.hidden = settings.hidden
        config.noise = settings.noiseDim
        config.objective = settings.objective
        config.conditional = settings.conditional
        config.training = settings.training
        (config.architecture, config.filters) = (settings.architecture, settings.filters)
        return TabularGAN(config: config)
    }

    /// As a detector its discriminator also sees uniform noise over the widened data box as fakes.
    static let detectorKind = oneClassKind("gan") { settings in
        var config = Config()
        config.hidden = [Int](repeating: settings.hiddenUnits, count: max(1, settings.hiddenLayers))
        config.noiseNegatives = 0.5
        config.anomalyNegatives = settings.negatives ? true : nil
        config.training = settings.training
        (config.architecture, config.filters) = (settings.architecture, settings.filters)
        return TabularGAN(config: config)
    }
}
