import Datasets
import TensorCore

/// k-nearest-neighbour distance: the score of a row is its distance to the k-th nearest
/// normal training row.
public final class KNearestNeighbourDetector: Detector {
    public let kind = "knn"
    public let isSupervised = false
    public let k: Int
    private var reference: Tensor?

    public init(k: Int = 5) { self.k = k }

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        guard k >= 1 else { throw ModelError("knn: k must be at least 1, got \(k)") }
        let rows = try data.normalRowsOrAll()
        guard rows.rows >= k else { throw ModelError("knn: needs at least k = \(k) training rows, got \(rows.rows)") }
        reference = rows
        return TrainingHistory()
    }

    public func score(_ data: Dataset) throws -> [Float] {
        let (reference, neighbours) = try kthNeighbours(data)
        return neighbours.enumerated().map { r, j in data.features.squaredDistance(row: r, to: reference, row: j).squareRoot() }
    }

    /// The reference rows and, for each row of `data`, the index of its k-th nearest among them.
    func kthNeighbours(_ data: Dataset) throws -> (reference: Tensor, neighbours: [Int]) {
        guard let reference else { throw ModelError("knn: score before fit") }
        return (reference, try NearestNeighbors.search(data.features, in: reference, k: k).map { $0[$0.count - 1] })
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        guard let reference else { throw ModelError("knn: save before fit") }
        return (try settingsJSON(["k": k]), ["reference": reference])
    }

    /// Restores a detector saved with `exportState`.
    public func importState(_ tensors: [String: Tensor], columns: Int) throws {
        guard k >= 1 else { throw ModelError("knn: config k \(k) must be at least 1") }
        guard let reference = tensors["reference"], reference.rank == 2, reference.columns == columns, reference.rows >= k else {
            throw ModelError("knn: the saved reference rows are missing, do not have \(columns) columns, or are fewer than k = \(k)")
        }
        self.reference = reference
    }
}

extension KNearestNeighbourDetector {
    static let detectorKind = DetectorKind(name: "knn", make: { KNearestNeighbourDetector(k: $0.neighbours) }, restore: { file, source in
        let knn = KNearestNeighbourDetector(k: try ModelFile.decodeEntry([String: Int].self, "config", file.config, source)["k"] ?? 5)
        try knn.importState(file.tensors, columns: file.schema.columns.count)
        return knn
    })
}
