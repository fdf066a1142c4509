import Datasets
import TensorCore

extension GradientBoostedTrees: ExplainableDetector {
    /// XGBoost's own TreeSHAP (`XGBoosterPredictFromDMatrix` with contributions): each
    /// column's exact Shapley value of the trees' margin, the bias as the base; base plus
    /// contributions is the log-odds of the score.
    public func attributions(_ data: Dataset) throws -> Attributions {
        guard let booster else { throw ModelError("xgboost: explain before fit") }
        let columns = data.features.shape.dropFirst().reduce(1, *)
        // Rows are explained independently: their threads change no bit (tested), and TreeSHAP
        // costs about a tree's leaves times its depth squared per row, far above a prediction.
        try booster.set("nthread", String(Parallelism.threads))
        let contributions = try booster.predict(Self.matrix(data), .contributions)
        guard contributions.count == data.rowCount * (columns + 1) else {
            throw ModelError("xgboost: \(contributions.count) contributions for \(data.rowCount) rows of \(columns) columns")
        }
        let values = Tensor.build(shape: [data.rowCount, columns]) { out in
            for r in 0..<data.rowCount {
                for j in 0..<columns { out[r * columns + j] = contributions[r * (columns + 1) + j] }
            }
        }
        return Attributions(values: values, base: (0..<data.rowCount).map { contributions[$0 * (columns + 1) + columns] },
                            unit: "log-odds of the score")
    }
}
