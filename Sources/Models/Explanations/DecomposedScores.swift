import Datasets
import Foundation
import TensorCore

extension AutoencoderDetector: ExplainableDetector {
    /// Each column's squared reconstruction error over the columns: they add up to the
    /// score, the mean squared error (to float rounding).
    public func attributions(_ data: Dataset) throws -> Attributions {
        let errors = try squaredErrors(data.features).value
        let columns = Float(errors.columns)
        return Attributions(values: errors.map { $0 / columns }, base: [Float](repeating: 0, count: data.rowCount), unit: "score")
    }
}

extension HistogramDetector: ExplainableDetector {
    /// Each column's histogram term, `-log(height + alpha)`: the score is their sum.
    public func attributions(_ data: Dataset) throws -> Attributions {
        Attributions(values: try columnTerms(data), base: [Float](repeating: 0, count: data.rowCount), unit: "score")
    }
}

extension KNearestNeighbourDetector: ExplainableDetector {
    /// Each column's share of the distance to the k-th nearest normal row, `d_j² / distance`
    /// (the squared differences spread the distance over the columns): they add up to the score.
    public func attributions(_ data: Dataset) throws -> Attributions {
        let (reference, neighbours) = try kthNeighbours(data)
        let columns = data.features.columns
        let values = Tensor.build(shape: [data.rowCount, columns]) { out in
            for (r, j) in neighbours.enumerated() {
                let squares = (0..<columns).map { c in (data.features[r, c] - reference[j, c]) * (data.features[r, c] - reference[j, c]) }
                let distance = squares.reduce(0, +).squareRoot()
                for c in 0..<columns { out[r * columns + c] = distance > 0 ? squares[c] / distance : 0 }
            }
        }
        return Attributions(values: values, base: [Float](repeating: 0, count: data.rowCount), unit: "score")
    }
}
