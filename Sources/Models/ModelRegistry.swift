import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A generator kind pipelines can name: how a stage builds an unfitted one from its
/// settings, and how a saved one comes back.
public struct GeneratorKind: Sendable {
    public let name: String
    let make: @Sendable (GeneratorSettings) throws -> any Generator
    let restore: @Sendable (ModelFile.Contents, _ source: String) throws -> any Generator

    /// An unfitted generator for `settings`.
    public func make(_ settings: GeneratorSettings) throws -> any Generator { try make(settings) }
}

/// A detector kind pipelines can name: how a stage builds one, how a saved one comes back.
public struct DetectorKind: Sendable {
    public let name: String
    let make: @Sendable (DetectorSettings) throws -> any Detector
    let restore: @Sendable (ModelFile.Contents, _ source: String) throws -> any Detector

    /// An unfitted detector for `settings`.
    public func make(_ settings: DetectorSettings) throws -> any Detector { try make(settings) }
}

/// Every generator and detector kind, one entry each: the only place a kind's name is
/// mapped to code. Adding a model is its file (with its entry) and a line here.
public enum ModelRegistry {
    public static let generators: [GeneratorKind] = [
        SMOTE.generatorKind, TabularVAE.generatorKind, TabularFlow.generatorKind, TabularGAN.generatorKind,
        GaussianMixture.generatorKind,
    ]

    public static let detectors: [DetectorKind] = [
        NeuralClassifier.mlpKind, NeuralClassifier.logisticKind, GradientBoostedTrees.detectorKind, AutoencoderDetector.detectorKind,
        TabularVAE.detectorKind, TabularFlow.detectorKind, TabularGAN.detectorKind,
        IsolationForest.detectorKind, KNearestNeighbourDetector.detectorKind, HistogramDetector.detectorKind,
    ]

    /// The generator kind named `name`.
    /// - Throws: `ModelError` listing the kinds.
    public static func generator(_ name: String) throws -> GeneratorKind {
        guard let kind = generators.first(where: { $0.name == name }) else {
            throw ModelError("unknown generator '\(name)'; the generators are \(generators.map(\.name).joined(separator: ", "))")
        }
        return kind
    }

    /// The detector kind named `name`.
    /// - Throws: `ModelError` listing the kinds.
    public static func detector(_ name: String) throws -> DetectorKind {
        guard let kind = detectors.first(where: { $0.name == name }) else {
            throw ModelError("unknown detector '\(name)'; the detectors are \(detectors.map(\.name).joined(separator: ", "))")
        }
        return kind
    }
}

/// A model whose settings are one Codable value, saved as its JSON config.
public protocol ConfiguredModel: AnyObject {
    associatedtype Config: Codable
    var config: Config { get }
    init(config: Config)
}

extension ConfiguredModel where Self: NeuralGenerator {
    /// The config as JSON and every parameter and buffer.
    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        (try settingsJSON(config), stateTensors(of: self))
    }

    /// A saved model: built for the saved schema, then given the saved weights.
    static func restored(_ file: ModelFile.Contents, source: String) throws -> Self {
        let model = Self(config: try ModelFile.decodeEntry(Config.self, "config", file.config, source))
        var rng = SeededRNG(seed: 0)  // initial weights are replaced by the saved ones
        try model.build(schema: file.schema, using: &rng)
        try model.loadState(file.tensors, source: source)
        return model
    }

    /// The generator kind of such a model, named `name`.
    static func neuralGeneratorKind(_ name: String, _ make: @escaping @Sendable (GeneratorSettings) throws -> Self) -> GeneratorKind {
        GeneratorKind(name: name, make: make, restore: { try restored($0, source: $1) })
    }
}

/// A detector network sized by its input (built before training or loading weights).
public protocol InputSizedDetector: Detector, ConfiguredModel, Module {
    /// Creates the networks for a model-space schema (before training or loading weights).
    func build(schema: SampleSchema, using rng: inout SeededRNG) throws
}

extension InputSizedDetector {
    /// A saved detector: built for the saved schema's width, then given the saved weights.
    static func restored(_ file: ModelFile.Contents, source: String) throws -> Self {
        let detector = Self(config: try ModelFile.decodeEntry(Config.self, "config", file.config, source))
        var rng = SeededRNG(seed: 0)  // initial weights are replaced by the saved ones
        try detector.build(schema: file.schema, using: &rng)
        try detector.loadState(file.tensors, source: source)
        return detector
    }
}

extension ConfiguredModel where Self: AnomalyScoring {
    /// The one-class detector kind of such a model, named `name`.
    static func oneClassKind(_ name: String, _ make: @escaping @Sendable (DetectorSettings) throws -> Self) -> DetectorKind {
        DetectorKind(name: name, make: { try GenerativeDetector(model: make($0)) },
                     restore: { try GenerativeDetector(model: restored($0, source: $1)) })
    }
}
