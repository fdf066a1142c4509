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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var tensors: [String: Tensor] = [:]
        let config: String
        switch generator {
        case let smote as SMOTE:
            tensors = try smote.exportState()
            config = try json(["neighbours": String(smote.neighbours), "variant": smote.variant.rawValue, "danger_neighbours": String(smote.dangerNeighbours)])
        case let gmm as GaussianMixture:
            tensors = try gmm.exportState()
            config = try json(["components": String(gmm.components), "iterations": String(gmm.iterations)])
        case let vae as TabularVAE:
            tensors = state(of: vae)
            config = try json(vae.config)
        case let flow as TabularFlow:
            tensors = state(of: flow)
            config = try json(flow.config)
        case let gan as TabularGAN:
            tensors = state(of: gan)
            config = try json(gan.config)
        default:
            throw ModelError("cannot save a generator of kind \(generator.kind)")
        }
        let metadata = ["format": "anomsynth-generator", "kind": generator.kind, "config": config,
                        "columns": try json(columns), "history": try json(history)]
        try writeAtomically(SafeTensors.encode(tensors, metadata: metadata), to: URL(fileURLWithPath: path))
    }

    private static func state(of module: any Module) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: module.namedState().map { ($0.path, $0.variable.value) })
    }

    /// Reads a generator saved by `save`, ready to sample.
    /// - Throws: `SafeTensorsError` or `ModelError` naming the file and what is wrong.
    public static func load(_ path: String) throws -> (generator: any Generator, description: Description) {
        let (tensors, metadata) = try SafeTensors.decode(try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
        guard metadata["format"] == "anomsynth-generator", let kind = metadata["kind"], let config = metadata["config"],
              let columnsText = metadata["columns"], let historyText = metadata["history"] else {
            throw ModelError("\(path): not an AnomSynth generator file (metadata lacks format, kind, config, columns or history)")
        }
        let decoder = JSONDecoder()
        let columns = try decoder.decode([Column].self, from: Data(columnsText.utf8))
        let history = try decoder.decode(TrainingHistory.self, from: Data(historyText.utf8))
        var rng = SeededRNG(seed: 0)  // initial weights are replaced by the saved ones
        let generator: any Generator
        switch kind {
        case "smote":
            let settings = try decoder.decode([String: String].self, from: Data(config.utf8))
            let smote = SMOTE(neighbours: Int(settings["neighbours"] ?? "") ?? 5,
                              variant: SMOTE.Variant(rawValue: settings["variant"] ?? "") ?? .standard,
                              dangerNeighbours: Int(settings["danger_neighbours"] ?? "") ?? 10)
            try smote.importState(tensors, columns: columns)
            generator = smote
        case "gmm":
            let settings = try decoder.decode([String: String].self, from: Data(config.utf8))
            let gmm = GaussianMixture(components: Int(settings["components"] ?? "") ?? 5, iterations: Int(settings["iterations"] ?? "") ?? 100)
            try gmm.importState(tensors, columns: columns)
            generator = gmm
        case "vae", "flow", "gan":
            let network: any NeuralGenerator = switch kind {
            case "vae": TabularVAE(config: try decoder.decode(TabularVAE.Config.self, from: Data(config.utf8)))
            case "flow": TabularFlow(config: try decoder.decode(TabularFlow.Config.self, from: Data(config.utf8)))
            default: TabularGAN(config: try decoder.decode(TabularGAN.Config.self, from: Data(config.utf8)))
            }
            try network.build(columns: columns, using: &rng)
            try network.loadState(tensors, source: path)
            generator = network
        default:
            throw ModelError("\(path): unknown generator kind '\(kind)'")
        }
        return (generator, Description(kind: kind, columns: columns, history: history))
    }
}
