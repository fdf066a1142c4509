import Datasets
import Foundation
import TensorCore

/// A trained detector on disk, in the layout of saved generators (one safetensors file,
/// settings and schema in its metadata), plus entries of the caller's: further metadata
/// and tensors (the `train_detector` stage keeps its validation scores there).
public enum DetectorStore {
    /// What a saved detector file holds.
    public struct Saved {
        public var detector: any Detector
        public var schema: SampleSchema
        public var columns: [Column] { schema.columns }
        public var history: TrainingHistory
        public var metadata: [String: String]
        public var extras: [String: Tensor]
    }

    /// The metadata entry holding the preprocessing transform (JSON) of the rows the detector
    /// was trained on, when they were preprocessed: what scoring new raw rows needs.
    public static let transformKey = "transform"
    private static let extraPrefix = "extra."
    private static let format = "anomsynth-detector"

    /// Writes a fitted detector.
    /// - Parameters:
    ///   - metadata: further string entries (keys other than format, kind, config, columns, history).
    ///   - extras: further tensors, stored beside the detector's own.
    public static func save(_ detector: any Detector, schema: SampleSchema, history: TrainingHistory,
                            metadata: [String: String] = [:], extras: [String: Tensor] = [:], to path: String) throws {
        let (config, state) = try detector.exportState()
        let own = try detector.exportMetadata()
        if let clash = own.keys.sorted().first(where: { metadata[$0] != nil }) {
            throw ModelError("\(path): metadata entry '\(clash)' is the \(detector.kind) detector's own")
        }
        let entries = metadata.merging(own) { _, detectors in detectors }
        var tensors = state
        for (name, tensor) in extras { tensors[extraPrefix + name] = tensor }
        try ModelFile.write(format: format, kind: detector.kind, config: config, schema: schema, history: history,
                            tensors: tensors, extra: entries, to: path)
    }

    /// Reads a detector saved by `save`, ready to score.
    /// - Throws: `SafeTensorsError` or `ModelError` naming the file and what is wrong.
    public static func load(_ path: String) throws -> Saved {
        let file = try ModelFile.read(path, format: format, what: "detector")
        let state = file.tensors.filter { !$0.key.hasPrefix(extraPrefix) }
        let extras = Dictionary(uniqueKeysWithValues: file.tensors.filter { $0.key.hasPrefix(extraPrefix) }
            .map { (String($0.key.dropFirst(extraPrefix.count)), $0.value) })
        guard let kind = ModelRegistry.detectors.first(where: { $0.name == file.kind }) else {
            throw ModelError("\(path): unknown detector kind '\(file.kind)'")
        }
        var contents = file
        contents.tensors = state
        let detector: any Detector
        do { detector = try kind.restore(contents, path) } catch let error as ModelError where !error.description.hasPrefix(path) {
            throw ModelError("\(path): \(error.description)")
        }
        return Saved(detector: detector, schema: file.schema, history: file.history, metadata: file.metadata, extras: extras)
    }
}
