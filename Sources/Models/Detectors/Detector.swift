import Datasets
import Foundation
import TensorCore

/// A model that scores rows, higher meaning more anomalous.
public protocol Detector: AnyObject {
    /// The name pipelines use for it (`ModelRegistry.detectors`), e.g. `mlp` or `iforest`.
    var kind: String { get }
    /// Learns from labelled anomalies (supervised) rather than from normal rows alone.
    var isSupervised: Bool { get }
    /// Learns from rows: a supervised detector from both classes, a one-class detector
    /// from the normal ones (and, where it supports negatives, from the anomalies as such).
    /// - Parameter validation: real rows held out for early stopping, when there are any.
    /// - Returns: the training curves (empty for detectors without epochs).
    @discardableResult
    func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory
    /// One score per row; higher = more anomalous.
    func score(_ data: Dataset) throws -> [Float]
    /// The settings as JSON and the learned state, for `DetectorStore`.
    func exportState() throws -> (config: String, tensors: [String: Tensor])
    /// Learned state kept as text in the file's metadata (a library's own model format).
    func exportMetadata() throws -> [String: String]
    /// Whether it has convolutional networks for image samples (`architecture`).
    var hasConvolutionalForm: Bool { get }
}

extension Detector {
    public var hasConvolutionalForm: Bool { false }
    public func exportMetadata() throws -> [String: String] { [:] }

    /// Fits without a validation part.
    @discardableResult
    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws -> TrainingHistory {
        try fit(data, validation: nil, using: &rng)
    }

    /// `score(data)`, computed `chunk` rows at a time, so that memory stays bounded however
    /// many rows are scored (a network's activations, and a convolutional network's lowered
    /// matrices, grow with the rows of one call). Every detector scores a row independently
    /// of the others (networks in evaluation mode; each element of a matrix product is one
    /// fixed chain, whatever the number of rows), so the scores are the bits of one call.
    public func scoreInChunks(_ data: Dataset, chunk: Int = Self.scoringChunk) throws -> [Float] {
        guard data.rowCount > chunk else { return try score(data) }
        var scores: [Float] = []
        scores.reserveCapacity(data.rowCount)
        for start in stride(from: 0, to: data.rowCount, by: chunk) {
            scores += try score(try data.rows(Array(start..<min(data.rowCount, start + chunk))))
        }
        return scores
    }

    /// Rows per `score` call in `scoreInChunks`: 1,024 MNIST images through a convolutional
    /// detector hold about 300 MB of activations at once.
    public static var scoringChunk: Int { 1024 }
}

extension Dataset {
    /// The normal rows, or every row when none is labelled normal.
    func normalRowsOrAll() throws -> Tensor {
        let normal = indices(ofClass: 0)
        return normal.isEmpty ? features : try features.gatherRows(normal)
    }
}

/// JSON of a detector's settings, with sorted keys so that saved files are byte-stable.
func settingsJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
