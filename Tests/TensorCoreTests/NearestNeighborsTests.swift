import TensorCore
import XCTest

/// The bounded selection of nearest neighbours against sorting every candidate.
final class NearestNeighborsTests: XCTestCase {
    /// The reference: every candidate's distance, sorted by (distance, index), the first k.
    private func bruteForce(_ queries: Tensor, _ points: Tensor, k: Int, excludeSelf: Bool, extra: ((Int, Int) -> Float)?) -> [[Int]] {
        (0..<queries.rows).map { q -> [Int] in
            var candidates: [(distance: Float, index: Int)] = []
            for j in 0..<points.rows where !(excludeSelf && j == q) {
                var d: Float = 0
                for c in 0..<points.columns {
                    let difference = queries[q, c] - points[j, c]
                    d += difference * difference
                }
                candidates.append((d + (extra?(q, j) ?? 0), j))
            }
            candidates.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.index < $1.index) }
            return candidates.prefix(k).map(\.index)
        }
    }

    func test_selection_equalsSortingEveryCandidate_withTies() throws {
        var rng = SeededRNG(seed: 8)
        // Small integers: many exact ties, broken by the lower index.
        let points = try Tensor(shape: [60, 3], scalars: (0..<180).map { _ in Float(rng.index(below: 3)) })
        let queries = try Tensor(shape: [20, 3], scalars: (0..<60).map { _ in Float(rng.index(below: 3)) })
        let extra: (Int, Int) -> Float = { q, j in (q + j) % 4 == 0 ? 1 : 0 }
        for k in [0, 1, 3, 7, 100] {
            XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: k), bruteForce(queries, points, k: k, excludeSelf: false, extra: nil), "k \(k)")
            XCTAssertEqual(try NearestNeighbors.search(points, in: points, k: k, excludeSelf: true),
                           bruteForce(points, points, k: k, excludeSelf: true, extra: nil), "k \(k), excluding self")
            XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: k, extraDistance: extra),
                           bruteForce(queries, points, k: k, excludeSelf: false, extra: extra), "k \(k), extra distance")
        }
        XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: 100).first?.count, 60, "k above the points gives every point")
    }
}
