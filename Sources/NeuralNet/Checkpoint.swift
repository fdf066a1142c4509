import Foundation
import TensorCore

/// A module's state saved as `model.safetensors` plus the `config.json` that rebuilds it.
public enum Checkpoint {
    public static let weightsFile = "model.safetensors"
    public static let configFile = "config.json"

    /// Writes the module's parameters and buffers and its configuration into `directory`.
    ///
    /// Each file is written to a temporary name and renamed, so a reader never
    /// sees half a file.
    /// - Throws: file-system errors, or an encoding error from `config`.
    public static func save(_ module: any Module, config: some Encodable, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var state: [String: Tensor] = [:]
        for (path, variable) in module.namedState() { state[path] = variable.value }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(SafeTensors.encode(state, metadata: ["format": "pt"]),
                            to: directory.appendingPathComponent(weightsFile))
        try writeAtomically(encoder.encode(config), to: directory.appendingPathComponent(configFile))
    }

    /// Decodes the configuration saved beside the weights.
    public static func loadConfig<Config: Decodable>(_ type: Config.Type, from directory: URL) throws -> Config {
        let url = directory.appendingPathComponent(configFile)
        return try JSONDecoder().decode(type, from: Data(contentsOf: url))
    }

    /// Loads saved weights into a module built from the same configuration.
    /// - Throws: `SafeTensorsError` when the file is unreadable, a tensor is missing
    ///   or unexpected, or a shape differs (naming the path and both shapes).
    public static func loadState(into module: any Module, from directory: URL) throws {
        let url = directory.appendingPathComponent(weightsFile)
        let (tensors, _) = try SafeTensors.decode(Data(contentsOf: url), source: url.path)
        try module.loadState(tensors, source: url.path)
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
