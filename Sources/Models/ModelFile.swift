import Datasets
import Foundation
import NeuralNet
import TensorCore

/// The file layout shared by saved generators and detectors: a `Checkpoint` (one
/// safetensors file, readable from PyTorch) whose metadata holds the format, the kind, the JSON config,
/// the model-space column schema, the sample shape (`sample_shape`, e.g. `[1, 28, 28]`),
/// the training history, a checksum of all of it (`ModelChecksum`) and any further entries.
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
        metadata["config"] = config
        try Checkpoint.write(tensors, config: config, metadata: ModelChecksum.signed(tensors: tensors, metadata: metadata),
                             to: URL(fileURLWithPath: path))
    }

    /// The largest model file read (a k-nearest-neighbour detector keeps its reference rows).
    static let maximumBytes = 2 << 30

    /// Reads and checks a model file: a regular file of bounded size, a well-formed
    /// safetensors layout, metadata entries that decode (each named when one does not), a
    /// sample shape that holds the columns, finite tensors, a checksum that matches when the
    /// file carries one, and layer sizes no larger than the weights the file holds.
    /// - Parameter what: how the file is named in errors ("generator", "detector").
    static func read(_ path: String, format: String, what: String) throws -> Contents {
        let data = try readBounded(path, what: what)
        let (tensors, metadata) = try SafeTensors.decode(data, source: path)
        guard metadata["format"] == format, let kind = metadata["kind"], let config = metadata["config"],
              let columnsText = metadata["columns"], let historyText = metadata["history"] else {
            throw ModelError("\(path): not an AnomSynth \(what) file (metadata lacks format, kind, config, columns or history)")
        }
        try ModelChecksum.verify(tensors: tensors, metadata: metadata, source: path)
        let columns = try decodeEntry([Column].self, "columns", columnsText, path)
        // Files written before sample shapes were recorded hold tables.
        let shape = try metadata["sample_shape"].map { try decodeEntry([Int].self, "sample_shape", $0, path) } ?? [columns.count]
        guard !columns.isEmpty, ShapeArithmetic.product(shape) == columns.count else {
            throw ModelError("\(path): metadata sample_shape \(shape) does not hold the \(columns.count) columns")
        }
        for name in tensors.keys.sorted() {
            if let bad = tensors[name]!.scalars.firstIndex(where: { !$0.isFinite }) {
                throw ModelError("\(path): tensor '\(name)' holds \(tensors[name]!.scalars[bad]) at element \(bad); a model's values are finite")
            }
        }
        try checkLayerSizes(config, tensors: tensors, source: path)
        return Contents(kind: kind, config: config, schema: SampleSchema(columns: columns, shape: shape),
                        history: try decodeEntry(TrainingHistory.self, "history", historyText, path),
                        tensors: tensors, metadata: metadata)
    }

    /// The bytes of a model file: a regular file (not a folder, FIFO or device) of at most
    /// `maximumBytes` (a link is followed to what it names).
    private static func readBounded(_ path: String, what: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError("\(path): no such \(what) file") }
        guard let size = InputFile.regularFileSize(path) else {
            throw ModelError("\(path): not a regular file; a \(what) file is expected")
        }
        guard size <= maximumBytes else {
            throw ModelError("\(path): larger than \(maximumBytes >> 30) GiB; not a \(what) file AnomSynth wrote")
        }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelError("\(path): cannot be read: \(error.localizedDescription)")
        }
    }

    /// Decodes one JSON metadata entry, naming the file and the entry when it does not decode.
    static func decodeEntry<T: Decodable>(_ type: T.Type, _ entry: String, _ text: String, _ source: String) throws -> T {
        guard !JSONNesting.exceeds(text.utf8) else { throw ModelError("\(source): metadata \(entry) nests deeper than \(JSONNesting.limit) levels") }
        do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
            throw ModelError("\(source): metadata \(entry) is not what AnomSynth writes: \(describeDecodingProblem(error))")
        }
    }

    /// The configuration keys that size a network's layers (widths, latent and noise sizes,
    /// filters, couplings).
    static let layerSizeKeys: Set<String> = ["hidden", "latent", "noise", "bottleneck", "filters", "couplings"]

    /// Refuses layer sizes that the file's weights cannot hold: every layer of width `w` has at
    /// least `w` parameters, so no size may exceed the file's scalars and no list of layers
    /// the number of its tensors. This keeps a crafted config from building a network far
    /// larger than the file before its weights are compared.
    static func checkLayerSizes(_ config: String, tensors: [String: Tensor], source: String) throws {
        guard !JSONNesting.exceeds(config.utf8) else { throw ModelError("\(source): metadata config nests deeper than \(JSONNesting.limit) levels") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(config.utf8))) as? [String: Any] else {
            throw ModelError("\(source): metadata config is not a JSON object")
        }
        let scalars = tensors.values.reduce(0) { $0 + $1.count }
        for key in layerSizeKeys.sorted() {
            guard let value = object[key] else { continue }
            let sizes = (value as? [Any]) ?? [value]
            guard sizes.count <= max(tensors.count, 1) else {
                throw ModelError("\(source): config \(key) lists \(sizes.count) layers; the file holds \(tensors.count) tensors")
            }
            for size in sizes {
                guard let number = size as? NSNumber, let integer = Int(exactly: number.doubleValue), integer >= 1,
                      tensors.isEmpty || integer <= scalars else {
                    throw ModelError("\(source): config \(key) \(size) is not a layer size the file's \(scalars) weights can hold")
                }
            }
        }
    }

    /// Saved indices and counts (stored as floats) as integers, each checked to lie in
    /// `range`. Nothing is converted before it is checked: a float that is not a whole
    /// number in range would otherwise trap, or wrap in a release build.
    /// - Throws: `ModelError` naming the tensor, the element and the range.
    static func integers(_ values: [Float], in range: ClosedRange<Int>, _ what: String) throws -> [Int] {
        let (low, high) = (Float(range.lowerBound), Float(range.upperBound))
        return try values.enumerated().map { index, value in
            guard value.rounded() == value, value >= low, value <= high else {
                throw ModelError("\(what)[\(index)] is \(value); expected a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return Int(value)
        }
    }

}

/// A module's parameters and buffers by path, as saved.
func stateTensors(of module: any Module) -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: module.namedState().map { ($0.path, $0.variable.value) })
}
