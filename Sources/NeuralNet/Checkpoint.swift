import Foundation
import TensorCore

/// The one save format of AnomSynth's models: a single safetensors file (PyTorch's keys and
/// layout, loadable with `safetensors.numpy.load_file`) whose metadata holds the JSON
/// configuration that rebuilds the model (`config`), the format (`pt` unless the caller
/// names its own) and any further entries of the caller's.
public enum Checkpoint {
    /// Writes a module's parameters and buffers and its configuration to `url`.
    /// - Throws: file-system errors, or an encoding error from `config`.
    public static func save(_ module: any Module, config: some Encodable, metadata: [String: String] = [:], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try write(Dictionary(uniqueKeysWithValues: module.namedState().map { ($0.path, $0.variable.value) }),
                  config: String(decoding: try encoder.encode(config), as: UTF8.self), metadata: metadata, to: url)
    }

    /// Writes named tensors (a module's state, or a model's own arrays) with a JSON
    /// configuration and metadata, through a temporary file renamed into place (a reader
    /// never sees half a file).
    public static func write(_ tensors: [String: Tensor], config: String, metadata: [String: String], to url: URL) throws {
        var entries = metadata
        entries["config"] = config
        if entries["format"] == nil { entries["format"] = "pt" }
        try writeAtomically(SafeTensors.encode(tensors, metadata: entries), to: url)
    }

    /// The tensors, the configuration (JSON) and the metadata of a saved file.
    /// - Throws: `SafeTensorsError` when the file is unreadable or holds no configuration.
    public static func read(_ url: URL) throws -> (tensors: [String: Tensor], config: String, metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.decode(Data(contentsOf: url), source: url.path)
        guard let config = metadata["config"] else {
            throw SafeTensorsError(source: url.path, message: "no 'config' in the metadata: not a checkpoint")
        }
        return (tensors, config, metadata)
    }

    /// Decodes the configuration saved with the weights.
    public static func loadConfig<Config: Decodable>(_ type: Config.Type, from url: URL) throws -> Config {
        try JSONDecoder().decode(type, from: Data(try read(url).config.utf8))
    }

    /// Loads saved weights into a module built from the same configuration.
    /// - Throws: `SafeTensorsError` when the file is unreadable, a tensor is missing
    ///   or unexpected, or a shape differs (naming the path and both shapes).
    public static func loadState(into module: any Module, from url: URL) throws {
        try module.loadState(try read(url).tensors, source: url.path)
    }
}

extension Module {
    /// Replaces every parameter and buffer with the tensor of the same path.
    /// - Throws: `SafeTensorsError` naming a missing or unexpected path or a shape mismatch;
    ///   nothing is changed unless everything fits.
    public func loadState(_ tensors: [String: Tensor], source: String) throws {
        let state = namedState()
        let expected = Set(state.map(\.path))
        if let extra = tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw SafeTensorsError(source: source, message: "unexpected tensor '\(extra)' (the model has \(expected.count) tensors)")
        }
        for (path, variable) in state {
            guard let tensor = tensors[path] else {
                throw SafeTensorsError(source: source, message: "missing tensor '\(path)'")
            }
            guard tensor.shape == variable.shape else {
                throw SafeTensorsError(source: source,
                                       message: "'\(path)' has shape \(describe(tensor.shape)), the model expects \(describe(variable.shape))")
            }
        }
        for (path, variable) in state { variable.assign(tensors[path]!) }
    }
}

/// Writes data to a temporary file in the destination's folder, then renames it into place.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    try data.write(to: temporary)
    guard rename(temporary.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path, NSLocalizedDescriptionKey: "cannot rename into \(url.path): \(reason)"])
    }
}
