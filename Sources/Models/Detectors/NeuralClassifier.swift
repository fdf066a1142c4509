import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A supervised detector: an MLP classifier (`mlp`), or logistic regression
/// (`logistic`: no hidden layers), trained with binary cross-entropy, optional balanced
/// class weights, L2 weight decay, and early stopping on a validation part (best
/// weights restored). The score is the predicted probability of the anomaly class.
public final class NeuralClassifier: Detector, Module {
    public struct Config: Codable, Equatable, Sendable {
        /// Hidden layer widths; empty for logistic regression.
        public var hidden = [64, 64]
        /// Weighs each class by `rows / (2 · rows of the class)`, so both count equally.
        public var balanced = true
        public var weightDecay: Float = 1e-4
        public var training = TrainingSettings()

        public init() {}

        enum CodingKeys: String, CodingKey {
            case hidden, balanced, training
            case weightDecay = "weight_decay"
        }
    }

    public var kind: String { config.hidden.isEmpty ? "logistic" : "mlp" }
    public let isSupervised = true
    public let config: Config
    private var network: Sequential?

    public init(config: Config) { self.config = config }

    public func namedParameters() -> [NamedVariable] { network?.namedParameters() ?? [] }

    /// Builds the network for `inputs` columns (also used before loading saved weights).
    public func build(inputs: Int, using rng: inout SeededRNG) throws {
        guard inputs >= 1, config.hidden.allSatisfy({ $0 >= 1 }) else { throw ModelError("\(kind): hidden sizes and inputs must be at least 1") }
        network = Sequential(perceptronLayers([inputs] + config.hidden + [1], using: &rng))
    }

    /// Per-row class weights for labels.
    private func weights(_ labels: [UInt8], anomalies: Int, rows: Int) throws -> Tensor {
        guard config.balanced else { return Tensor(repeating: 1, shape: [labels.count, 1]) }
        let positive = Float(rows) / Float(2 * anomalies), negative = Float(rows) / Float(2 * (rows - anomalies))
        return try Tensor(shape: [labels.count, 1], scalars: labels.map { $0 == 1 ? positive : negative })
    }

    private func loss(_ x: Tensor, _ labels: [UInt8], anomalies: Int, rows: Int) throws -> Variable {
        guard let network else { throw ModelError("\(kind): used before fit") }
        let targets = try Tensor(shape: [labels.count, 1], scalars: labels.map(Float.init))
        return try Loss.binaryCrossEntropyWithLogits(try network(Variable(x)), targets: targets,
                                                     weights: try weights(labels, anomalies: anomalies, rows: rows))
    }

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        let anomalies = data.anomalyCount
        guard anomalies > 0, anomalies < data.rowCount else {
            throw ModelError("\(kind): a supervised detector needs both classes in its training rows, got \(anomalies) anomalies of \(data.rowCount) rows; add synthetic anomalies (augment) or use a one-class detector")
        }
        try build(inputs: data.columns.count, using: &rng)
        var adam = Adam(learningRate: config.training.learningRate, weightDecay: config.weightDecay)
        let rows = data.rowCount
        let external = validation.flatMap { held -> (() throws -> Double)? in
            guard held.rowCount > 0 else { return nil }
            return { Double(try self.loss(held.features, held.labels, anomalies: anomalies, rows: rows).value.scalar) }
        }
        return try TrainingLoop.run(model: self, name: kind, rows: rows, settings: config.training, using: &rng, step: { batch, _ in
            clearGradients()
            let value = try loss(try data.features.gatherRows(batch), batch.map { data.labels[$0] }, anomalies: anomalies, rows: rows)
            try value.backward()
            adam.step(namedParameters())
            return Double(value.value.scalar)
        }, validate: { held in
            Double(try self.loss(try data.features.gatherRows(held), held.map { data.labels[$0] }, anomalies: anomalies, rows: rows).value.scalar)
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
