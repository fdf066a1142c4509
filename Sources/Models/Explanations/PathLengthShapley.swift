import Datasets
import Foundation
import TensorCore

extension IsolationForest: ExplainableDetector {
    /// Exact Shapley values of each tree's path length (path-dependent TreeSHAP, Lundberg et
    /// al. 2018, Algorithm 2: a column left out follows both branches in proportion to the
    /// training rows that took them), averaged over the trees and negated: each column's
    /// levels taken off the path. The base is the forest's mean path length over its training
    /// rows; base plus contributions is `mean path length of a training row - E[h(x)]`, the
    /// levels this row is isolated sooner (the score is `2^(-E[h(x)] / c(ψ))`).
    public func attributions(_ data: Dataset) throws -> Attributions {
        guard !roots.isEmpty else { throw ModelError("iforest: explain before fit") }
        let columns = data.features.columns
        let trees = Double(roots.count)
        let expected = roots.reduce(0) { $0 + expectedPathLength(from: Int($1)) } / trees
        let values = Tensor.build(shape: [data.rowCount, columns]) { out in
            for r in 0..<data.rowCount {
                var phi = [Double](repeating: 0, count: columns)
                let row = (0..<columns).map { data.features[r, $0] }
                for root in roots { shapley(row, node: Int(root), path: [], zero: 1, one: 1, feature: -1, into: &phi) }
                for j in 0..<columns { out[r * columns + j] = Float(-phi[j] / trees) }
            }
        }
        return Attributions(values: values, base: [Float](repeating: 0, count: data.rowCount),
                            unit: "levels taken off the mean path length (\(String(format: "%.3f", expected)) for a training row)")
    }

    /// A leaf's path length: its depth plus the expected length of the rows it still holds.
    private func leafValue(_ node: Int, depth: Int) -> Double { Double(depth) + Self.averagePathLength(Int(size[node])) }

    /// The path length a training row takes on average below `node` (children weighted by
    /// the rows that went each way).
    func expectedPathLength(from node: Int, depth: Int = 0) -> Double {
        guard column[node] >= 0 else { return leafValue(node, depth: depth) }
        let (l, r) = (Int(left[node]), Int(right[node]))
        let (wl, wr) = coverShares(node)
        return wl * expectedPathLength(from: l, depth: depth + 1) + wr * expectedPathLength(from: r, depth: depth + 1)
    }

    /// The shares of `node`'s training rows that went left and right (halves when it has none).
    private func coverShares(_ node: Int) -> (Double, Double) {
        let total = Double(size[node])
        guard total > 0 else { return (0.5, 0.5) }
        return (Double(size[Int(left[node])]) / total, Double(size[Int(right[node])]) / total)
    }

    /// One element of TreeSHAP's path: a split's column, the share of rows that follow it
    /// when the column is left out (`zero`) or known (`one`, 0 or 1), and the permutation weight.
    private struct PathElement {
        var feature: Int
        var zero: Double
        var one: Double
        var weight: Double
    }

    private func shapley(_ x: [Float], node: Int, path: [PathElement], zero: Double, one: Double, feature: Int,
                         depth: Int = 0, into phi: inout [Double]) {
        let path = extend(path, zero: zero, one: one, feature: feature)
        guard column[node] >= 0 else {
            let v = leafValue(node, depth: depth)
            for i in 1..<path.count {
                let weight = unwind(path, i).reduce(0) { $0 + $1.weight }
                phi[path[i].feature] += weight * (path[i].one - path[i].zero) * v
            }
            return
        }
        let split = Int(column[node])
        let goesLeft = x[split] < value[node]
        let (hot, cold) = goesLeft ? (Int(left[node]), Int(right[node])) : (Int(right[node]), Int(left[node]))
        let (wl, wr) = coverShares(node)
        let (hotShare, coldShare) = goesLeft ? (wl, wr) : (wr, wl)
        var (incomingZero, incomingOne) = (1.0, 1.0)
        var rest = path
        if let k = path.indices.dropFirst().first(where: { path[$0].feature == split }) {
            (incomingZero, incomingOne) = (path[k].zero, path[k].one)
            rest = unwind(path, k)
        }
        shapley(x, node: hot, path: rest, zero: incomingZero * hotShare, one: incomingOne, feature: split, depth: depth + 1, into: &phi)
        // A branch no training row took, with the column known to go the other way, adds nothing.
        if incomingZero * coldShare > 0 {
            shapley(x, node: cold, path: rest, zero: incomingZero * coldShare, one: 0, feature: split, depth: depth + 1, into: &phi)
        }
    }

    /// The path with one more split: every subset size's weight moved along.
    private func extend(_ path: [PathElement], zero: Double, one: Double, feature: Int) -> [PathElement] {
        var m = path
        let l = path.count
        m.append(PathElement(feature: feature, zero: zero, one: one, weight: l == 0 ? 1 : 0))
        for i in stride(from: l - 1, through: 0, by: -1) {
            m[i + 1].weight += one * m[i].weight * Double(i + 1) / Double(l + 1)
            m[i].weight = zero * m[i].weight * Double(l - i) / Double(l + 1)
        }
        return m
    }

    /// The path without its element `i`: `extend` undone.
    private func unwind(_ path: [PathElement], _ i: Int) -> [PathElement] {
        let l = path.count
        let (zero, one) = (path[i].zero, path[i].one)
        var m = Array(path[0..<(l - 1)])
        var n = path[l - 1].weight
        for j in stride(from: l - 2, through: 0, by: -1) {
            if one != 0 {
                let t = m[j].weight
                m[j].weight = n * Double(l) / (Double(j + 1) * one)
                n = t - m[j].weight * zero * Double(l - j - 1) / Double(l)
            } else {
                m[j].weight = m[j].weight * Double(l) / (zero * Double(l - j - 1))
            }
        }
        for j in i..<(l - 1) {
            (m[j].feature, m[j].zero, m[j].one) = (path[j + 1].feature, path[j + 1].zero, path[j + 1].one)
        }
        return m
    }
}
