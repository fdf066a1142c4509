import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A generator built from layers: its networks are made for a schema, then trained or loaded.
public protocol NeuralGenerator: Generator, Module {
    /// Creates the networks for a model-space schema (before training or loading weights).
    func build(columns: [Column], using rng: inout SeededRNG) throws
}

extension TabularVAE: NeuralGenerator {}
extension TabularFlow: NeuralGenerator {}
extension TabularGAN: NeuralGenerator {}

/// A trained generator on disk: one safetensors file (readable from PyTorch) whose
/// metadata holds the kind, the JSON config, the model-space column schema and the
/// training history.
public enum GeneratorStore {
    /// What a saved generator file describes besides its weights.
    public struct Description: Codable, Sendable {
        public var kind: String
        public var columns: [Column]
        public var history: TrainingHistory
    }

    /// Writes a fitted generator.
    public static func save(_ generator: any Generator, columns: [Column], history: TrainingHistory, to path: String) throws {
        let (config, tensors): (String, [String: Tensor])
        switch generator {
        case let smote as SMOTE:
            (config, tensors) = (try settingsJSON(["neighbours": String(smote.neighbours), "variant": smote.variant.rawValue,
                                                   "danger_neighbours": String(smote.dangerNeighbours)]), try smote.exportState())
        case let gmm as GaussianMixture:
            (config, tensors) = (try settingsJSON(["components": String(gmm.components), "iterations": String(gmm.iterations)]),
                                 try gmm.exportState())
        case let vae as TabularVAE: (config, tensors) = (try settingsJSON(vae.config), stateTensors(of: vae))
        case let flow as TabularFlow: (config, tensors) = (try settingsJSON(flow.config), stateTensors(of: flow))
        case let gan as TabularGAN: (config, tensors) = (try settingsJSON(gan.config), stateTensors(of: gan))
        default: throw ModelError("cannot save a generator of kind \(generator.kind)")
        }
        try ModelFile.write(format: "anomsynth-generator", kind: generator.kind, config: config, columns: columns,
                            history: history, tensors: tensors, to: path)
    }

    /// Builds an unfitted VAE, flow or GAN from its kind and JSON config.
    static func neuralGenerator(kind: String, config: String) throws -> (any NeuralGenerator)? {
        switch kind {
        case "vae": TabularVAE(config: try ModelFile.decode(TabularVAE.Config.self, config))
        case "flow": TabularFlow(config: try ModelFile.decode(TabularFlow.Config.self, config))
        case "gan": TabularGAN(config: try ModelFile.decode(TabularGAN.Config.self, config))
        default: nil
        }
    }

    /// Reads a generator saved by `save`, ready to sample.
    /// - Throws: `SafeTensorsError` or `ModelError` naming the file and what is wrong.
    public static func load(_ path: String) throws -> (generator: any Generator, description: Description) {
        let file = try ModelFile.read(path, format: "anomsynth-generator", what: "generator")
        var rng = SeededRNG(seed: 0)  // initial weights are replaced by the saved ones
        let generator: any Generator
        switch file.kind {
        case "smote":
            let settings = try ModelFile.decode([String: String].self, file.config)
            let smote = SMOTE(neighbours: Int(settings["neighbours"] ?? "") ?? 5,
                              variant: SMOTE.Variant(rawValue: settings["variant"] ?? "") ?? .standard,
                              dangerNeighbours: Int(settings["danger_neighbours"] ?? "") ?? 10)
            try smote.importState(file.tensors, columns: file.columns)
            generator = smote
        case "gmm":
            let settings = try ModelFile.decode([String: String].self, file.config)
            let gmm = GaussianMixture(components: Int(settings["components"] ?? "") ?? 5, iterations: Int(settings["iterations"] ?? "") ?? 100)
            try gmm.importState(file.tensors, columns: file.columns)
            generator = gmm
        default:
            guard let network = try neuralGenerator(kind: file.kind, config: file.config) else {
                throw ModelError("\(path): unknown generator kind '\(file.kind)'")
            }
            try network.build(columns: file.columns, using: &rng)
            try network.loadState(file.tensors, source: path)
            generator = network
        }
        return (generator, Description(kind: file.kind, columns: file.columns, history: file.history))
    }
}
