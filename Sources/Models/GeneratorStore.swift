import Datasets
import Foundation
import NeuralNet
import TensorCore

/// A generator built from layers: its networks are made for a schema, then trained or loaded.
public protocol NeuralGenerator: Generator, Module {
    /// Creates the networks for a model-space schema (before training or loading weights).
    func build(schema: SampleSchema, using rng: inout SeededRNG) throws
}

extension TabularVAE: NeuralGenerator {}
extension TabularFlow: NeuralGenerator {}
extension TabularGAN: NeuralGenerator {}

/// A trained generator on disk: one safetensors file (readable from PyTorch) whose
/// metadata holds the kind, the JSON config, the model-space column schema and sample
/// shape, and the training history.
public enum GeneratorStore {
    /// What a saved generator file describes besides its weights.
    public struct Description: Codable, Sendable {
        public var kind: String
        public var schema: SampleSchema
        public var columns: [Column] { schema.columns }
        public var history: TrainingHistory
    }

    /// Writes a fitted generator.
    public static func save(_ generator: any Generator, schema: SampleSchema, history: TrainingHistory, to path: String) throws {
        let (config, tensors) = try generator.exportState()
        try ModelFile.write(format: "anomsynth-generator", kind: generator.kind, config: config, schema: schema,
                            history: history, tensors: tensors, to: path)
    }

    /// Reads a generator saved by `save`, ready to sample.
    /// - Throws: `SafeTensorsError` or `ModelError` naming the file and what is wrong.
    public static func load(_ path: String) throws -> (generator: any Generator, description: Description) {
        let file = try ModelFile.read(path, format: "anomsynth-generator", what: "generator")
        guard let kind = ModelRegistry.generators.first(where: { $0.name == file.kind }) else {
            throw ModelError("\(path): unknown generator kind '\(file.kind)'")
        }
        let generator: any Generator
        do { generator = try kind.restore(file, path) } catch let error as ModelError where !error.description.hasPrefix(path) {
            throw ModelError("\(path): \(error.description)")
        }
        return (generator, Description(kind: file.kind, schema: file.schema, history: file.history))
    }
}
