/// Exact k-nearest neighbours by Euclidean distance, computed in blocks through one
/// matrix product per block (`|a|² + |b|² - 2 a·b`), so memory stays bounded.
public enum NearestNeighbors {
    /// For every row of `queries`, the indices of its `k` nearest rows of `points`
    /// (nearest first, ties by lower index), optionally skipping the identical index
    /// (when queries are the points themselves).
    /// - Parameters:
    ///   - queries: `[q, d]`.
    ///   - points: `[p, d]`.
    ///   - excludeSelf: skip `points[i]` for `queries[i]`.
    /// - Throws: `ShapeError` when the widths differ.
    public static func search(_ queries: Tensor, in points: Tensor, k: Int, excludeSelf: Bool = false,
                              extraDistance: ((Int, Int) -> Float)? = nil) throws -> [[Int]] {
        let p = points.rows
        let available = p - (excludeSelf ? 1 : 0)
        let neighbours = min(k, max(available, 0))
        let pointNorms = rowSquaredNorms(points)
        let queryNorms = rowSquaredNorms(queries)
        var result: [[Int]] = []
        result.reserveCapacity(queries.rows)
        let block = max(1, (1 << 22) / max(p, 1))
        var start = 0
        while start < queries.rows {
            let end = min(queries.rows, start + block)
            let slice = try queries.gatherRows(Array(start..<end))
            let products = try slice.matmul(points, transposeOther: true)
            for r in 0..<(end - start) {
                let q = start + r
                // The k smallest (distance, index) pairs, kept sorted: one pass over the
                // points, most rejected by one comparison with the current k-th (the same
                // neighbours as sorting every candidate, in O(p + k log) instead of O(p log p)).
                var best: [(distance: Float, index: Int)] = []
                best.reserveCapacity(neighbours + 1)
                for j in 0..<p where neighbours > 0 && !(excludeSelf && j == q) {
                    var distance = max(0, queryNorms[q] + pointNorms[j] - 2 * products[r, j])
                    if let extraDistance { distance += extraDistance(q, j) }
                    // Indices rise, so a tie never displaces an earlier point.
                    if best.count == neighbours, let worst = best.last, !(distance < worst.distance) { continue }
                    var at = best.count
                    while at > 0, distance < best[at - 1].distance { at -= 1 }
                    best.insert((distance, j), at: at)
                    if best.count > neighbours { best.removeLast() }
                }
                result.append(best.map(\.index))
            }
            start = end
        }
        return result
    }

    static func rowSquaredNorms(_ x: Tensor) -> [Float] {
        (0..<x.rows).map { r in (0..<x.columns).reduce(Float(0)) { $0 + x[r, $1] * x[r, $1] } }
    }
}
