import ArchiveIO
import Foundation

/// What a stage gets when it runs.
public struct StageContext {
    public let stageID: String
    /// Parameters with defaults filled in.
    public let params: JSONValue
    /// The stage's seed, derived from the pipeline seed and the stage id (or its `seed` parameter).
    public let seed: UInt64
    /// Files of the referenced outputs, per input name, in order.
    public let inputs: [String: [URL]]
    /// The stage and matrix values behind each of those files, in the same order.
    public var origins: [String: [InputOrigin]] = [:]
    /// The pipeline's name (part of the key of stages that gather variants).
    public var pipelineName = ""
    /// Where the stage writes its outputs (a fresh temporary folder).
    public let outputDirectory: URL
    /// The folder of the pipeline file, for relative paths.
    public let pipelineDirectory: URL
    /// Reports progress in [0, 1] for long stages.
    public let progress: @Sendable (Double) -> Void
    /// How the dataset archives it writes are compressed (the pipeline's `archive_compression`).
    public var archiveCompression: ArchiveCompression = .zstd

    /// The file of output `name` in the output folder.
    public func output(_ name: String, of stage: any StageImplementation.Type) -> URL {
        outputDirectory.appendingPathComponent(stage.outputs.first { $0.name == name }?.file(archives: archiveCompression) ?? name)
    }

    /// A parameter resolved as a path relative to the pipeline file.
    public func path(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue else { return nil }
        return URL(fileURLWithPath: text, relativeTo: pipelineDirectory).standardizedFileURL.path
    }
}
