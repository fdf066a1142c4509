import Datasets
import Foundation
import TensorCore

/// Histogram-based outlier score (HBOS, Goldstein and Dengel 2012, as PyOD's `HBOS`): one
/// histogram of equal-width bins per column over the normal training rows; a row's score
/// is the sum over columns of −log(density of its bin + alpha). A value outside the
/// training range by at most `tolerance` bin widths counts in the edge bin, further out
/// in the least dense one. Columns are taken as independent: fast and linear in rows and
/// columns, a baseline for wide data.
public final class HistogramDetector: Detector {
    public let kind = "hbos"
    public let isSupervised = false
    public static let bins = 10
    public static let alpha: Float = 0.1
    public static let tolerance: Float = 0.5
    /// Per column: the lowest edge and the bin width.
    private var low: [Float] = []
    private var width: [Float] = []
    /// `[columns, bins]`: each bin's density (its share of rows over its width).
    private var density = Tensor.zeros([0, HistogramDetector.bins])

    public init() {}

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        let rows = try data.normalRowsOrAll()
        guard rows.rows >= 2 else { throw ModelError("hbos: needs at least 2 training rows, got \(rows.rows)") }
        let bins = Self.bins
        var density = Tensor.zeros([rows.columns, bins])
        (low, width) = ([], [])
        for c in 0..<rows.columns {
            let values = (0..<rows.rows).map { rows[$0, c] }
            let (minimum, maximum) = (values.min()!, values.max()!)
            // A constant column gets one bin of width 1 around its value (every training row in it).
            let binWidth = maximum > minimum ? (maximum - minimum) / Float(bins) : 1
            low.append(maximum > minimum ? minimum : minimum - binWidth * Float(bins) / 2)
            width.append(binWidth)
            var counts = [Float](repeating: 0, count: bins)
            for value in values { counts[bin(of: value, column: c) ?? 0] += 1 }
            for b in 0..<bins { density[c, b] = counts[b] / (Float(rows.rows) * binWidth) }
        }
        self.density = density
        return TrainingHistory()
    }

    public func score(_ data: Dataset) throws -> [Float] {
        let terms = try columnTerms(data)
        return (0..<data.rowCount).map { r in (0..<terms.columns).reduce(Float(0)) { $0 + terms[r, $1] } }
    }

    /// Each row's term per column, `-log(height + alpha)` of the bin its value falls in
    /// (the least height beyond the edges): the score is their sum, in column order.
    func columnTerms(_ data: Dataset) throws -> Tensor {
        guard density.rows > 0 else { throw ModelError("hbos: score before fit") }
        guard data.features.columns == density.rows else {
            throw ModelError("hbos: fitted on \(density.rows) columns, got \(data.features.columns)")
        }
        let least = (0..<density.rows).map { c in (0..<Self.bins).map { density[c, $0] }.min()! }
        let columns = density.rows
        return Tensor.build(shape: [data.rowCount, columns]) { out in
            for r in 0..<data.rowCount {
                for c in 0..<columns {
                    let height = bin(of: data.features[r, c], column: c).map { density[c, $0] } ?? least[c]
                    out[r * columns + c] = -Foundation.log(height + Self.alpha)
                }
            }
        }
    }

    /// The bin of a value in a column: edge bins take values up to `tolerance` widths
    /// outside the training range; nil further out (or for a missing value).
    private func bin(of value: Float, column c: Int) -> Int? {
        let position = (value - low[c]) / width[c]
        guard position.isFinite, position >= -Self.tolerance, position < Float(Self.bins) + Self.tolerance else { return nil }
        return min(Self.bins - 1, max(0, Int(position.rounded(.down))))
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        guard density.rows > 0 else { throw ModelError("hbos: save before fit") }
        let edges = try Tensor(shape: [2, low.count], scalars: low + width)
        return (try settingsJSON(["bins": Self.bins]), ["density": density, "edges": edges])
    }

    /// Restores a detector saved with `exportState`.
    public func importState(_ tensors: [String: Tensor], columns: Int) throws {
        guard let density = tensors["density"], density.shape == [columns, Self.bins],
              let edges = tensors["edges"], edges.shape == [2, columns] else {
            throw ModelError("hbos: the saved histograms are missing or not [\(columns), \(Self.bins)] with [2, \(columns)] edges")
        }
        guard (0..<columns).allSatisfy({ edges[1, $0] > 0 }) else { throw ModelError("hbos: every bin width (edges row 1) must be positive") }
        self.density = density
        low = (0..<columns).map { edges[0, $0] }
        width = (0..<columns).map { edges[1, $0] }
    }
}

extension HistogramDetector {
    static let detectorKind = DetectorKind(name: "hbos", make: { _ in HistogramDetector() }, restore: { file, _ in
        let hbos = HistogramDetector()
        try hbos.importState(file.tensors, columns: file.schema.columns.count)
        return hbos
    })
}
