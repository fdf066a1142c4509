import Foundation
import TensorCore

/// Principal component analysis to two dimensions, for the report's scatter plot:
/// the covariance of the fitted rows, its top eigenvectors by power iteration.
public struct PrincipalComponents: Sendable {
    public let mean: [Double]
    /// Two unit vectors.
    public let components: [[Double]]
    /// Share of the total variance each component explains.
    public let explained: [Double]

    /// - Throws: `ReportError` with fewer than two rows.
    public init(fitting rows: Tensor, using rng: inout SeededRNG) throws {
        let n = rows.rows, d = rows.columns
        guard n >= 2, d >= 1 else { throw ReportError("PCA needs at least 2 rows, got \(n)") }
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n { for j in 0..<d { mean[j] += Double(rows[r, j]) } }
        mean = mean.map { $0 / Double(n) }
        var covariance = [Double](repeating: 0, count: d * d)
        for r in 0..<n {
            let centred = (0..<d).map { Double(rows[r, $0]) - mean[$0] }
            for i in 0..<d { for j in i..<d { covariance[i * d + j] += centred[i] * centred[j] } }
        }
        for i in 0..<d { for j in i..<d { covariance[i * d + j] /= Double(n - 1); covariance[j * d + i] = covariance[i * d + j] } }
        let total = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
        var components: [[Double]] = [], explained: [Double] = []
        for _ in 0..<min(2, d) {
            var v = (0..<d).map { _ in Double(rng.normal()) }
            var eigenvalue = 0.0
            for _ in 0..<200 {
                var w = (0..<d).map { i in (0..<d).reduce(0.0) { $0 + covariance[i * d + $1] * v[$1] } }
                for c in components {  // deflate: stay orthogonal to earlier components
                    let dot = zip(w, c).reduce(0.0) { $0 + $1.0 * $1.1 }
                    w = zip(w, c).map { $0 - dot * $1 }
                }
                let norm = w.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-12 else { break }
                eigenvalue = norm
                v = w.map { $0 / norm }
            }
            components.append(v)
            explained.append(total > 0 ? eigenvalue / total : 0)
        }
        if components.count == 1 { components.append([Double](repeating: 0, count: d)); explained.append(0) }
        self.mean = mean
        self.components = components
        self.explained = explained
    }

    /// Rows projected on the two components.
    public func project(_ rows: Tensor) -> [Point] {
        (0..<rows.rows).map { r in
            let coordinates = components.map { c in (0..<mean.count).reduce(0.0) { $0 + (Double(rows[r, $1]) - mean[$1]) * c[$1] } }
            return Point(coordinates[0], coordinates[1])
        }
    }
}
