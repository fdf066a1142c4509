import CKernels
import Datasets
import Foundation
import TensorCore

extension IsolationForest: ExplainableDetector {
    /// Exact Shapley values of each tree's path length (path-dependent TreeSHAP, Lundberg et
    /// al. 2018, Algorithm 2, in `CKernels/tree_shap.c`: a column left out follows both
    /// branches in proportion to the training rows that took them), averaged over the trees
    /// and negated: each column's levels taken off the path. Base plus contributions is the
    /// mean path length of a training row minus `E[h(x)]`: the levels this row is isolated
    /// sooner (the score is `2^(-E[h(x)] / c(ψ))`).
    public func attributions(_ data: Dataset) throws -> Attributions {
        guard !roots.isEmpty else { throw ModelError("iforest: explain before fit") }
        let columns = data.features.columns
        let trees = Double(roots.count)
        let expected = roots.reduce(0) { $0 + expectedPathLength(from: Int($1)) } / trees
        let leafValues = size.map { Self.averagePathLength(Int($0)) }
        // Trees stop at this depth (training, and the check of a saved forest).
        let height = Int32(Foundation.log2(Double(max(2, usedSampleSize))).rounded(.up))
        var phi = [Double](repeating: 0, count: data.rowCount * columns)
        let status = anomsynth_forest_path_shapley(column, value, left, right, size, leafValues, roots, Int32(roots.count), height,
                                                   data.features.scalars, data.rowCount, columns, &phi)
        guard status == 0 else { throw ModelError("iforest: no memory for the explanation's paths") }
        let values = try Tensor(shape: [data.rowCount, columns], scalars: phi.map { Float(-$0 / trees) })
        return Attributions(values: values, base: [Float](repeating: 0, count: data.rowCount),
                            unit: "levels taken off the mean path length (\(String(format: "%.3f", expected)) for a training row)")
    }

    /// The path length a training row takes on average below `node` (children weighted by
    /// the rows that went each way; halves below a node no row reached).
    func expectedPathLength(from node: Int, depth: Int = 0) -> Double {
        guard column[node] >= 0 else { return Double(depth) + Self.averagePathLength(Int(size[node])) }
        let (l, r) = (Int(left[node]), Int(right[node]))
        let total = Double(size[node])
        let (wl, wr) = total > 0 ? (Double(size[l]) / total, Double(size[r]) / total) : (0.5, 0.5)
        return wl * expectedPathLength(from: l, depth: depth + 1) + wr * expectedPathLength(from: r, depth: depth + 1)
    }
}
