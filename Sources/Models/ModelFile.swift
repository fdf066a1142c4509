import Datasets
import Foundation
import NeuralNet
import TensorCore

/// The file layout shared by saved generators and detectors: a `Checkpoint` (one
/// safetensors file, readable from PyTorch) whose metadata holds the format, the kind, the JSON config,
/// the model-space column schema, the sample shape (`sample_shape`, e.g. `[1, 28, 28]`),
/// the training history and any further entries.
enum ModelFile {
    struct Contents {
        var kind: String
        var config: String
        var schema: SampleSchema
        var history: TrainingHistory
        var tensors: [String: Tensor]
        var metadata: [String: String]
    }

    static func write(format: String, kind: String, config: String, schema: SampleSchema, history: TrainingHistory,
                      tensors: [String: Tensor], extra: [String: String] = [:], to path: String) throws {
        var metadata = extra
        metadata["format"] = format
        metadata["kind"] = kind
        metadata["columns"] = try settingsJSON(schema.columns)
        metadata["sample_shape"] = try settingsJSON(schema.shape)
        metadata["history"] = try settingsJSON(history)
        try Checkpoint.write(tensors, config: config, metadata: metadata, to: URL(fileURLWithPath: path))
    }

    /// - Parameter what: how the file is named in errors ("generator", "detector").
    static func read(_ path: String, format: String, what: String) throws -> Contents {
        let (tensors, metadata) = try SafeTensors.decode(try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
        guard metadata["format"] == format, let kind = metadata["kind"], let config = metadata["config"],
              let columnsText = metadata["columns"], let historyText = metadata["history"] else {
            throw ModelError("\(path): not an AnomSynth \(what) file (metadata lacks format, kind, config, columns or history)")
        }
        let decoder = JSONDecoder()
        let columns = try decoder.decode([Column].self, from: Data(columnsText.utf8))
        // Files written before sample shapes were recorded hold tables.
        let shape = try metadata["sample_shape"].map { try decoder.decode([Int].self, from: Data($0.utf8)) } ?? [columns.count]
        guard ShapeArithmetic.product(shape) == columns.count else {
            throw ModelError("\(path): sample_shape \(shape) does not hold the \(columns.count) columns")
        }
        return Contents(kind: kind, config: config, schema: SampleSchema(columns: columns, shape: shape),
                        history: try decoder.decode(TrainingHistory.self, from: Data(historyText.utf8)),
                        tensors: tensors, metadata: metadata)
    }

    /// Decodes a JSON config.
    static func decode<T: Decodable>(_ type: T.Type, _ config: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(config.utf8))
    }
}

/// A module's parameters and buffers by path, as saved.
func stateTensors(of module: any Module) -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: module.namedState().map { ($0.path, $0.variable.value) })
}
