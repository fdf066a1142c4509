import Datasets
import Foundation
import TensorCore

/// Isolation forest (Liu, Ting & Zhou 2008): random trees on subsamples, each split on a
/// random column at a uniform value between its minimum and maximum; anomalies are
/// isolated in fewer splits. Score `2^(-E[h(x)] / c(ψ))`.
///
/// The trees live in flat arrays (node `i`: its split column, or -1 for a leaf; its
/// split value; its children; the rows that reached it), which makes saving trivial.
public final class IsolationForest: Detector {
    public let kind = "iforest"
    public let isSupervised = false
    public let trees: Int
    public let sampleSize: Int

    private(set) var column: [Int32] = []
    private(set) var value: [Float] = []
    private(set) var left: [Int32] = []
    private(set) var right: [Int32] = []
    private(set) var size: [Int32] = []
    private(set) var roots: [Int32] = []
    private(set) var usedSampleSize = 0

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

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        guard trees >= 1, sampleSize >= 2 else { throw ModelError("iforest: trees must be at least 1 and sample_size at least 2") }
        let rows = try data.normalRowsOrAll()
        guard rows.rows >= 2 else { throw ModelError("iforest: needs at least 2 training rows, got \(rows.rows)") }
        usedSampleSize = min(sampleSize, rows.rows)
        let heightLimit = Int(Foundation.log2(Double(usedSampleSize)).rounded(.up))
        (column, value, left, right, size, roots) = ([], [], [], [], [], [])
        for _ in 0..<trees {
            let sample = rng.sampleWithoutReplacement(usedSampleSize, from: rows.rows)
            roots.append(grow(rows, sample, depth: 0, limit: heightLimit, using: &rng))
        }
        return TrainingHistory()
    }

    private func grow(_ x: Tensor, _ indices: [Int], depth: Int, limit: Int, using rng: inout SeededRNG) -> Int32 {
        let node = Int32(column.count)
        column.append(-1)
        value.append(0)
        left.append(-1)
        right.append(-1)
        size.append(Int32(indices.count))
        guard depth < limit, indices.count > 1 else { return node }
        // Columns that still vary among these rows.
        let ranges = (0..<x.columns).compactMap { column -> (Int, Float, Float)? in
            var low = Float.infinity, high = -Float.infinity
            for r in indices { low = Swift.min(low, x[r, column]); high = Swift.max(high, x[r, column]) }
            return high > low ? (column, low, high) : nil
        }
        guard !ranges.isEmpty else { return node }
        let (splitColumn, low, high) = ranges[rng.index(below: ranges.count)]
        let threshold = rng.uniform(low, high)
        let below = indices.filter { x[$0, splitColumn] < threshold }, above = indices.filter { x[$0, splitColumn] >= threshold }
        let i = Int(node)
        column[i] = Int32(splitColumn)
        value[i] = threshold
        left[i] = grow(x, below, depth: depth + 1, limit: limit, using: &rng)
        right[i] = grow(x, above, depth: depth + 1, limit: limit, using: &rng)
        return node
    }

    private func pathLength(_ x: Tensor, _ row: Int, root: Int32) -> Double {
        var node = Int(root), depth = 0
        while column[node] >= 0 {
            node = Int(x[row, Int(column[node])] < value[node] ? left[node] : right[node])
            depth += 1
        }
        return Double(depth) + IsolationForest.averagePathLength(Int(size[node]))
    }

    public func score(_ data: Dataset) throws -> [Float] {
        guard !roots.isEmpty else { throw ModelError("iforest: score before fit") }
        let normalizer = IsolationForest.averagePathLength(usedSampleSize)
        return (0..<data.rowCount).map { r in
            let mean = roots.reduce(0) { $0 + pathLength(data.features, r, root: $1) } / Double(roots.count)
            return Float(Foundation.pow(2, -mean / normalizer))
        }
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        guard !roots.isEmpty else { throw ModelError("iforest: save before fit") }
        func tensor(_ values: [Int32]) throws -> Tensor { try Tensor(shape: [values.count], scalars: values.map(Float.init)) }
        return (try settingsJSON(["trees": trees, "sample_size": sampleSize, "used_sample_size": usedSampleSize]),
                ["column": try tensor(column), "value": try Tensor(shape: [value.count], scalars: value), "left": try tensor(left),
                 "right": try tensor(right), "size": try tensor(size), "roots": try tensor(roots)])
    }

    /// Restores a forest saved with `exportState`, checking every value before it is used:
    /// split columns below the width (or -1 for a leaf), children after their parent (so
    /// every path ends) and inside the forest, whole node sizes up to the subsample, one root
    /// per tree.
    public func importState(_ tensors: [String: Tensor], usedSampleSize: Int, columns: Int) throws {
        guard let c = tensors["column"]?.scalars, let v = tensors["value"]?.scalars, let l = tensors["left"]?.scalars,
              let r = tensors["right"]?.scalars, let s = tensors["size"]?.scalars, let roots = tensors["roots"]?.scalars,
              [v.count, l.count, r.count, s.count].allSatisfy({ $0 == c.count }), !c.isEmpty, roots.count == trees else {
            throw ModelError("iforest: the saved forest is incomplete (column, value, left, right, size of one length; \(trees) roots)")
        }
        guard (2...sampleSize).contains(usedSampleSize) else {
            throw ModelError("iforest: used_sample_size \(usedSampleSize) must be in 2...\(sampleSize) (sample_size)")
        }
        guard c.count <= Int(Int32.max) else { throw ModelError("iforest: the saved forest has more nodes than an index holds") }
        let nodes = c.count
        let splitColumns = try ModelFile.integers(c, in: -1...(columns - 1), "iforest column")
        let lefts = try ModelFile.integers(l, in: -1...(nodes - 1), "iforest left"), rights = try ModelFile.integers(r, in: -1...(nodes - 1), "iforest right")
        for i in 0..<nodes where splitColumns[i] >= 0 {
            guard lefts[i] > i, rights[i] > i else {
                throw ModelError("iforest: node \(i) splits into nodes \(lefts[i]) and \(rights[i]); children come after their parent")
            }
        }
        // No deeper than training grows a tree (explanations recurse along the paths).
        let heightLimit = Int(Foundation.log2(Double(usedSampleSize)).rounded(.up))
        var depth = [Int](repeating: 0, count: nodes)
        for i in 0..<nodes where splitColumns[i] >= 0 {
            for child in [lefts[i], rights[i]] {
                depth[child] = depth[i] + 1
                guard depth[child] <= heightLimit else {
                    throw ModelError("iforest: node \(child) lies \(depth[child]) levels deep; trees of \(usedSampleSize) rows stop at \(heightLimit)")
                }
            }
        }
        let sizes = try ModelFile.integers(s, in: 0...usedSampleSize, "iforest size")
        let rootIndices = try ModelFile.integers(roots, in: 0...(nodes - 1), "iforest roots")
        (column, value, left, right, size) = (splitColumns.map(Int32.init), v, lefts.map(Int32.init), rights.map(Int32.init), sizes.map(Int32.init))
        self.roots = rootIndices.map(Int32.init)
        self.usedSampleSize = usedSampleSize
    }
}

extension IsolationForest {
    static let detectorKind = DetectorKind(name: "iforest", make: { IsolationForest(trees: $0.trees, sampleSize: $0.sampleSize) },
                                           restore: { file, source in
        let settings = try ModelFile.decodeEntry([String: Int].self, "config", file.config, source)
        let trees = settings["trees"] ?? 100, sampleSize = settings["sample_size"] ?? 256
        guard trees >= 1, sampleSize >= 2 else { throw ModelError("iforest: config trees \(trees) and sample_size \(sampleSize) must be at least 1 and 2") }
        let forest = IsolationForest(trees: trees, sampleSize: sampleSize)
        try forest.importState(file.tensors, usedSampleSize: settings["used_sample_size"] ?? forest.sampleSize, columns: file.schema.columns.count)
        return forest
    })
}
