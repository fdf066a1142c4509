import Datasets
import TensorCore

/// What each model column added to a detector's output for each row: `base[r] + Σ_j
/// values[r, j] = total[r]`, the additive identity every method here keeps (exactly for
/// trees, histograms, distances and reconstruction errors; within the integration error for
/// gradients). Positive values push a row towards "anomalous".
public struct Attributions: Sendable {
    /// `[rows, columns]`: each model column's contribution.
    public var values: Tensor
    /// Per row, what the contributions start from (the output of a typical row, or 0).
    public var base: [Float]
    /// What base plus contributions add up to, in words: `score`, `log-odds of the score`, ...
    public var unit: String

    public init(values: Tensor, base: [Float], unit: String) {
        (self.values, self.base, self.unit) = (values, base, unit)
    }

    /// Per row, base plus the contributions (the output they explain), summed in column order.
    public var totals: [Float] {
        (0..<values.rows).map { r in (0..<values.columns).reduce(base[r]) { $0 + values[r, $1] } }
    }
}

/// A detector that can say which columns made each score: its own attribution method, in
/// the units it names (`Attributions.unit`).
public protocol ExplainableDetector: Detector {
    /// Each row's attributions over the model columns.
    func attributions(_ data: Dataset) throws -> Attributions
}

extension ExplainableDetector {
    /// `attributions` over chunks of `chunk` rows (as `scoreInChunks`): the same values, with
    /// a bounded working set for networks.
    public func attributionsInChunks(_ data: Dataset, chunk: Int = Self.scoringChunk) throws -> Attributions {
        guard data.rowCount > chunk else { return try attributions(data) }
        var parts: [Attributions] = []
        for start in stride(from: 0, to: data.rowCount, by: chunk) {
            parts.append(try attributions(try data.rows(Array(start..<min(data.rowCount, start + chunk)))))
        }
        return Attributions(values: try Tensor.concatRows(parts.map(\.values)), base: parts.flatMap(\.base), unit: parts[0].unit)
    }
}
