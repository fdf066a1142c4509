import Datasets
import NeuralNet
import TensorCore

extension ColumnGroups {
    /// Applies a softmax over each one-hot group of decoder/generator outputs (as TVAE
    /// and CTGAN do), leaving numeric columns unchanged.
    /// - Parameter outputs: `[batch, width]`.
    public func softmaxGroups(_ outputs: Variable) throws -> Variable {
        guard !oneHotGroups.isEmpty else { return outputs }
        let (widths, isGroup) = runs
        let parts = try outputs.splitColumns(widths)
        return try Variable.concatColumns(try zip(parts, isGroup).map { part, group in
            group ? try (part - Loss.logSumExp(part, axis: 1)).exp() : part
        })
    }

    /// The columns as consecutive runs: each one-hot group, and each stretch of numeric columns.
    public var runs: (widths: [Int], isGroup: [Bool]) {
        var widths: [Int] = [], isGroup: [Bool] = []
        for block in blocks {
            switch block {
            case .numeric:
                if isGroup.last == false { widths[widths.count - 1] += 1 } else { widths.append(1); isGroup.append(false) }
            case .oneHot(let range):
                widths.append(range.count)
                isGroup.append(true)
            }
        }
        return (widths, isGroup)
    }

    /// The reconstruction loss of mixed rows, averaged over the batch: a Gaussian
    /// negative log-likelihood for numeric runs (per-column log-variances given) and
    /// cross-entropy for each one-hot group (logits in `outputs`).
    /// - Parameter logVariances: one `[width]` variable per numeric run, in order.
    public func reconstructionLoss(_ outputs: Variable, targets: Tensor, logVariances: [Variable]) throws -> Variable {
        let (widths, isGroup) = runs
        let predicted = try outputs.splitColumns(widths)
        let actual = try targets.splitColumns(widths)
        let rows = Float(max(targets.rows, 1))
        var total: Variable?
        var numericRun = 0
        for (index, group) in isGroup.enumerated() {
            let term: Variable
            if group {
                let logProbabilities = try predicted[index] - Loss.logSumExp(predicted[index], axis: 1)
                term = try (logProbabilities * Variable(actual[index])).sum().scaled(by: -1 / rows)
            } else {
                term = try Loss.gaussianNegativeLogLikelihood(Variable(actual[index]), mean: predicted[index],
                                                              logVariance: logVariances[numericRun])
                numericRun += 1
            }
            total = try total.map { try $0 + term } ?? term
        }
        return total ?? Variable(Tensor(scalar: 0))
    }

    /// Rounds each one-hot group of sampled rows to one category by drawing from its
    /// probabilities (or taking the argmax when `draw` is false).
    public func discretize(_ rows: Tensor, draw: Bool, using rng: inout SeededRNG) -> Tensor {
        guard !oneHotGroups.isEmpty else { return rows }
        var result = rows
        for r in 0..<rows.rows {
            for group in oneHotGroups {
                let weights = group.map { max(rows[r, $0], 0) }
                var chosen = weights.indices.max { weights[$0] < weights[$1] } ?? 0
                if draw {
                    let total = weights.reduce(0, +)
                    if total > 0 {
                        var u = rng.uniform() * total
                        for (k, w) in weights.enumerated() {
                            u -= w
                            if u < 0 { chosen = k; break }
                        }
                    }
                }
                for (k, column) in group.enumerated() { result[r, column] = k == chosen ? 1 : 0 }
            }
        }
        return result
    }
}
