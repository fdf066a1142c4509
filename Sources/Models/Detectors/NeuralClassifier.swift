import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A supervised detector: an MLP classifier (`mlp`), or logistic regression
/// (`logistic`: no hidden layers), trained with binary cross-entropy, optional balanced
/// class weights, L2 weight decay, and early stopping on a validation part (best
/// weights restored). The score is the predicted probability of the anomaly class.
/// For image samples the MLP is a small CNN: the DCGAN discriminator's convolutions
/// (`ConvolutionalNetworks.encoder`) and a dense logit.
public final class NeuralClassifier: Detector, Module {
    public struct Config: Codable, Equatable, Sendable {
        /// Hidden layer widths; empty for logistic regression.
        public var hidden = [64, 64]
        /// Weighs each class by `rows / (2 · rows of the class)`, so both count equally.
        public var balanced = true
        public var weightDecay: Float = 1e-4
        /// The share of each class's weight its synthetic rows (provenance other than real)
        /// carry together, the real rows the rest; nil: every row of a class weighs the same.
        public var syntheticShare: Float?
        public var training = TrainingSettings()
        /// nil: auto (convolutional for images, except logistic regression).
        public var architecture: Architecture? = nil
        /// Convolutional networks' base width; nil: 64.
        public var filters: Int? = nil

        public init() {}

        enum CodingKeys: String, CodingKey {
            case hidden, balanced, training, architecture, filters
            case weightDecay = "weight_decay"
            case syntheticShare = "synthetic_share"
        }
    }

    public var kind: String { config.hidden.isEmpty ? "logistic" : "mlp" }
    public let isSupervised = true
    public let config: Config
    private(set) var network: Sequential?

    public init(config: Config) { self.config = config }

    public func namedParameters() -> [NamedVariable] { network?.namedParameters() ?? [] }
    public func setTraining(_ training: Bool) { network?.setTraining(training) }

    /// Builds the network for `inputs` columns (also used before loading saved weights).
    public func build(schema: SampleSchema, using rng: inout SeededRNG) throws {
        let inputs = schema.columns.count
        guard inputs >= 1, config.hidden.allSatisfy({ $0 >= 1 }) else { throw ModelError("\(kind): hidden sizes and inputs must be at least 1") }
        if !config.hidden.isEmpty, try (config.architecture ?? .auto).usesConvolutions(for: schema, model: kind) {
            let (trunk, width) = try ConvolutionalNetworks.encoder(schema.shape, filters: config.filters ?? 64, using: &rng)
            network = Sequential(trunk + [Linear(inputs: width, outputs: 1, initialization: .xavier, using: &rng)])
            setTraining(false)
            return
        }
        network = Sequential(perceptronLayers([inputs] + config.hidden + [1], using: &rng))
        setTraining(false)
    }

    private func loss(_ x: Tensor, _ labels: [UInt8], weights: Tensor) throws -> Variable {
        guard let network else { throw ModelError("\(kind): used before fit") }
        let targets = try Tensor(shape: [labels.count, 1], scalars: labels.map(Float.init))
        return try Loss.binaryCrossEntropyWithLogits(try network(Variable(x)), targets: targets, weights: weights)
    }

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        let anomalies = data.anomalyCount
        guard anomalies > 0, anomalies < data.rowCount else {
            throw ModelError("\(kind): a supervised detector needs both classes in its training rows, got \(anomalies) anomalies of \(data.rowCount) rows; add synthetic anomalies (augment) or use a one-class detector")
        }
        try build(schema: data.schema, using: &rng)
        var adam = Adam(learningRate: config.training.learningRate, weightDecay: config.weightDecay)
        let weights = RowWeights(data, balanced: config.balanced, syntheticShare: config.syntheticShare)
        let synthetic = data.provenance.map { $0 != 0 }
        func batchLoss(_ batch: [Int]) throws -> Variable {
            let labels = batch.map { data.labels[$0] }
            return try loss(try data.features.gatherRows(batch), labels, weights: try weights.tensor(labels: labels, synthetic: batch.map { synthetic[$0] }))
        }
        let external = validation.flatMap { held -> (() throws -> Double)? in
            guard held.rowCount > 0 else { return nil }
            return { Double(try self.loss(held.features, held.labels, weights: try weights.tensor(labels: held.labels)).value.scalar) }
        }
        return try TrainingLoop.run(model: self, name: kind, rows: data.rowCount, settings: config.training, using: &rng, step: { batch, _ in
            clearGradients()
            let value = try batchLoss(batch)
            try value.backward()
            adam.step(namedParameters())
            return Double(value.value.scalar)
        }, validate: { held in
            Double(try batchLoss(held).value.scalar)
        }, validateExternal: external)
    }

    public func score(_ data: Dataset) throws -> [Float] {
        guard let network else { throw ModelError("\(kind): score before fit") }
        return try network(Variable(data.features)).value.sigmoid().scalars
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        guard network != nil else { throw ModelError("\(kind): save before fit") }
        return (try settingsJSON(config), stateTensors(of: self))
    }
}

extension NeuralClassifier: InputSizedDetector {
    /// An MLP of `hidden_layers` layers of `hidden_units`.
    static let mlpKind = kind("mlp") { [Int](repeating: $0.hiddenUnits, count: $0.hiddenLayers) }
    /// Logistic regression: no hidden layers.
    static let logisticKind = kind("logistic") { _ in [] }

    private static func kind(_ name: String, hidden: @escaping @Sendable (DetectorSettings) -> [Int]) -> DetectorKind {
        DetectorKind(name: name, make: { settings in
            var config = Config()
            config.hidden = hidden(settings)
            config.balanced = settings.classWeight != "none"
            config.weightDecay = Float(settings.weightDecay)
            config.syntheticShare = settings.syntheticShare.map(Float.init)
            config.training = settings.training
            (config.architecture, config.filters) = (settings.architecture, settings.filters)
            return NeuralClassifier(config: config)
        }, restore: { try restored($0, source: $1) })
    }
}
