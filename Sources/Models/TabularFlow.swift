import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A RealNVP flow over model-space rows. One-hot groups are dequantized with small
/// Gaussian noise while training and rounded back (argmax) when sampling; an optional
/// class condition joins every coupling's network.
public final class TabularFlow: Generator, Module {
    public struct Config: Codable, Equatable, Sendable {
        public var couplings = 8
        public var hidden = 128
        /// An actnorm before each coupling (data-initialized).
        public var actnorm = true
        public var conditional = false
        /// Standard deviation of the noise added to one-hot columns while training.
        public var dequantization: Float = 0.05
        public var training = TrainingSettings()
        /// As a detector with synthetic negatives: it learns the normal rows (label 0) only,
        /// and rows labelled anomalous must be this many nats less likely than the normal
        /// batch's mean (a hinge on their log-likelihood).
        public var negativeMargin: Float? = nil

        public init() {}

        enum CodingKeys: String, CodingKey {
            case couplings, hidden, actnorm, conditional, dequantization, training
            case negativeMargin = "negative_margin"
        }
    }

    public let kind = "flow"
    public let config: Config
    public private(set) var flow: RealNVP?
    private var groups = ColumnGroups([])

    public init(config: Config) { self.config = config }

    public func namedParameters() -> [NamedVariable] { flow?.namedParameters() ?? [] }
    /// The ActNorm layers' "initialized" flags: saved, so that a loaded flow does not re-initialize on its first rows.
    public func namedBuffers() -> [NamedVariable] { flow?.namedBuffers() ?? [] }
    public func setTraining(_ training: Bool) { flow?.setTraining(training) }

    /// Builds the flow for a schema (also used before loading saved weights).
    public func build(schema: SampleSchema, using rng: inout SeededRNG) throws {
        let columns = schema.columns
        guard columns.count >= 2 else { throw ModelError("flow: needs at least 2 columns, got \(columns.count)") }
        guard config.couplings >= 1, config.hidden >= 1 else { throw ModelError("flow: couplings and hidden must be at least 1") }
        groups = ColumnGroups(columns)
        flow = RealNVP(dimensions: columns.count, couplings: config.couplings, hidden: config.hidden,
                       conditions: config.conditional ? 2 : 0, actnorm: config.actnorm, using: &rng)
        setTraining(false)
    }

    private func condition(_ labels: [UInt8]) -> Variable? {
        config.conditional ? Variable(classCondition(labels)) : nil
    }

    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws -> TrainingHistory {
        guard data.rowCount >= 2 else { throw ModelError("flow: needs at least 2 training rows, got \(data.rowCount)") }
        try build(schema: data.schema, using: &rng)
        guard let flow else { throw ModelError("flow: not built") }
        var adam = Adam(learningRate: config.training.learningRate)
        let oneHot = groups.oneHotGroups.flatMap { $0 }  // in column order: the noise must not depend on hashing
        func batch(_ rows: [Int], noise: inout SeededRNG) throws -> Tensor {
            var x = try data.features.gatherRows(rows)
            if !oneHot.isEmpty {
                for r in 0..<x.rows { for column in oneHot { x[r, column] += config.dequantization * noise.normal() } }
            }
            return x
        }
        var validationRNG = rng.derive("validation")
        let negatives = NegativeRows(data, enabled: config.negativeMargin != nil)
        return try TrainingLoop.run(model: self, name: "flow", rows: negatives.learned.count, settings: config.training, using: &rng, step: { picked, rng in
            clearGradients()
            let rows = picked.map { negatives.learned[$0] }
            var loss = try flow.logLikelihood(Variable(try batch(rows, noise: &rng)), condition: condition(rows.map { data.labels[$0] })).mean().scaled(by: -1)
            if let margin = config.negativeMargin, let anomalies = negatives.draw(rows.count, using: &rng) {
                // relu(log p(anomaly) + NLL(normal batch) + margin): anomalies at least `margin` nats below.
                let logLikelihood = try flow.logLikelihood(Variable(try batch(anomalies, noise: &rng)),
                                                           condition: condition(anomalies.map { data.labels[$0] }))
                loss = try loss + logLikelihood.shifted(by: loss.value.scalar + margin).relu().mean()
            }
            try loss.backward()
            clipGradientNorm(namedParameters(), maxNorm: 10)
            adam.step(namedParameters())
            return Double(loss.value.scalar)
        }, validate: { picked in
            var copy = validationRNG
            defer { validationRNG = copy }
            let rows = picked.map { negatives.learned[$0] }
            let x = try batch(rows, noise: &copy)
            return -Double(try flow.logLikelihood(Variable(x), condition: self.condition(rows.map { data.labels[$0] })).mean().value.scalar)
        })
    }

    public func sample(_ request: SampleRequest, using rng: inout SeededRNG) throws -> Tensor {
        guard request.count >= 1 else { throw ModelError("flow: count must be at least 1, got \(request.count)") }
        guard let flow else { throw ModelError("flow: sample before fit") }
        if config.conditional, request.label == nil { throw ModelError("flow: a conditional model needs the class to sample") }
        let c = condition([UInt8](repeating: request.label ?? 0, count: request.count))?.value
        let rows = try flow.sample(request.count, temperature: request.temperature, condition: c, using: &rng)
        return groups.discretize(rows, draw: false, using: &rng)
    }

    /// Log-density of each row, `[rows]` (for the `tail` strategy's rejection).
    public func logLikelihood(_ rows: Tensor, labels: [UInt8]) throws -> [Float] {
        guard let flow else { throw ModelError("flow: used before fit") }
        return try flow.logLikelihood(Variable(rows), condition: condition(labels)).value.scalars
    }
}

extension TabularFlow: ConfiguredModel {
    static let generatorKind = neuralGeneratorKind("flow") { settings in
        var config = Config()
        config.couplings = settings.couplings
        config.hidden = settings.hiddenUnits
        config.conditional = settings.conditional
        config.training = settings.training
        return TabularFlow(config: config)
    }

    static let detectorKind = oneClassKind("flow") { settings in
        var config = Config()
        config.couplings = settings.couplings
        config.hidden = settings.hiddenUnits
        config.negativeMargin = settings.negatives ? Float(settings.negativeMargin) : nil
        config.training = settings.training
        return TabularFlow(config: config)
    }
}
