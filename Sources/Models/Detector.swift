import Datasets
import TensorCore

/// A model that scores rows, higher meaning more anomalous.
public protocol Detector: AnyObject {
    /// `iforest`, `knn`, ...
    var kind: String { get }
    /// Learns from rows (one-class detectors use the normal ones).
    func fit(_ data: Dataset, using rng: inout SeededRNG) throws
    /// One score per row; higher = more anomalous.
    func score(_ data: Dataset) throws -> [Float]
}

extension Dataset {
    /// The normal rows, or every row when none is labelled normal.
    func normalRowsOrAll() throws -> Tensor {
        let normal = (0..<rowCount).filter { labels[$0] == 0 }
        return normal.isEmpty ? features : try features.gatherRows(normal)
    }
}

/// k-nearest-neighbour distance: the score of a row is its distance to the k-th nearest
/// normal training row.
public final class KNearestNeighbourDetector: Detector {
    public let kind = "knn"
    public let k: Int
    private var reference: Tensor?

    public init(k: Int = 5) { self.k = k }

    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws {
        guard k >= 1 else { throw ModelError("knn: k must be at least 1, got \(k)") }
        let rows = try data.normalRowsOrAll()
        guard rows.rows >= k else { throw ModelError("knn: needs at least k = \(k) training rows, got \(rows.rows)") }
        reference = rows
    }

    public func score(_ data: Dataset) throws -> [Float] {
        guard let reference else { throw ModelError("knn: score before fit") }
        let neighbours = try NearestNeighbors.search(data.features, in: reference, k: k)
        return neighbours.enumerated().map { r, list in
            let j = list[list.count - 1]
            return data.features.squaredDistance(row: r, to: reference, row: j).squareRoot()
        }
    }
}

/// Isolation forest (Liu, Ting & Zhou 2008): random trees on subsamples, each split on a
/// random column at a uniform value between its minimum and maximum; anomalies are
/// isolated in fewer splits. Score `2^(-E[h(x)] / c(ψ))`.
public final class IsolationForest: Detector {
    public let kind = "iforest"
    public let trees: Int
    public let sampleSize: Int

    private indirect enum Node {
        case leaf(size: Int)
        case split(column: Int, value: Float, left: Node, right: Node)
    }

    private var forest: [Node] = []
    private var usedSampleSize = 0

    public init(trees: Int = 100, sampleSize: Int = 256) {
        self.trees = trees
        self.sampleSize = sampleSize
    }

    /// The average path length of an unsuccessful search in a binary search tree of n points.
    public static func averagePathLength(_ n: Int) -> Double {
        guard n > 1 else { return 0 }
        if n == 2 { return 1 }
        let harmonic = Foundation.log(Double(n - 1)) + 0.5772156649015329
        return 2 * harmonic - 2 * Double(n - 1) / Double(n)
    }

    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws {
        guard trees >= 1, sampleSize >= 2 else { throw ModelError("iforest: trees must be at least 1 and sample_size at least 2") }
        let rows = try data.normalRowsOrAll()
        guard rows.rows >= 2 else { throw ModelError("iforest: needs at least 2 training rows, got \(rows.rows)") }
        usedSampleSize = min(sampleSize, rows.rows)
        let heightLimit = Int(Foundation.log2(Double(usedSampleSize)).rounded(.up))
        forest = (0..<trees).map { _ in
            let sample = rng.sampleWithoutReplacement(usedSampleSize, from: rows.rows)
            return grow(rows, sample, depth: 0, limit: heightLimit, using: &rng)
        }
    }

    private func grow(_ x: Tensor, _ indices: [Int], depth: Int, limit: Int, using rng: inout SeededRNG) -> Node {
        guard depth < limit, indices.count > 1 else { return .leaf(size: indices.count) }
        // Columns that still vary among these rows.
        let ranges = (0..<x.columns).compactMap { column -> (Int, Float, Float)? in
            var low = Float.infinity, high = -Float.infinity
            for r in indices { low = Swift.min(low, x[r, column]); high = Swift.max(high, x[r, column]) }
            return high > low ? (column, low, high) : nil
        }
        guard !ranges.isEmpty else { return .leaf(size: indices.count) }
        let (column, low, high) = ranges[rng.index(below: ranges.count)]
        let value = rng.uniform(low, high)
        let left = indices.filter { x[$0, column] < value }, right = indices.filter { x[$0, column] >= value }
        return .split(column: column, value: value, left: grow(x, left, depth: depth + 1, limit: limit, using: &rng),
                      right: grow(x, right, depth: depth + 1, limit: limit, using: &rng))
    }

    private func pathLength(_ x: Tensor, _ row: Int, _ node: Node, depth: Int) -> Double {
        switch node {
        case .leaf(let size): return Double(depth) + IsolationForest.averagePathLength(size)
        case .split(let column, let value, let left, let right):
            return pathLength(x, row, x[row, column] < value ? left : right, depth: depth + 1)
        }
    }

    public func score(_ data: Dataset) throws -> [Float] {
        guard !forest.isEmpty else { throw ModelError("iforest: score before fit") }
        let normalizer = IsolationForest.averagePathLength(usedSampleSize)
        return (0..<data.rowCount).map { r in
            let mean = forest.reduce(0) { $0 + pathLength(data.features, r, $1, depth: 0) } / Double(forest.count)
            return Float(Foundation.pow(2, -mean / normalizer))
        }
    }
}

import Foundation
