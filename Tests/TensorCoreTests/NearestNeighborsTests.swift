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

    /// The k-d tree finds exactly the scan's neighbours: on tie-heavy grid data (against
    /// sorting every candidate) and on continuous data of several widths (against the scan).
    func test_tree_equalsScan_withTiesDuplicatesAndExtraDistance() throws {
        var rng = SeededRNG(seed: 11)
        let grid = try Tensor(shape: [1500, 4], scalars: (0..<6000).map { _ in Float(rng.index(below: 4)) })
        let gridQueries = try Tensor(shape: [40, 4], scalars: (0..<160).map { _ in Float(rng.index(below: 5)) - 0.5 * Float(rng.index(below: 2)) })
        let extra: (Int, Int) -> Float = { q, j in Float((q * 7 + j) % 3) }
        for k in [1, 5, 40] {
            XCTAssertEqual(try NearestNeighbors.search(gridQueries, in: grid, k: k, strategy: .tree),
                           bruteForce(gridQueries, grid, k: k, excludeSelf: false, extra: nil), "grid, k \(k)")
            let first = try grid.gatherRows(Array(0..<50))
            XCTAssertEqual(try NearestNeighbors.search(first, in: grid, k: k, excludeSelf: true, strategy: .tree),
                           bruteForce(first, grid, k: k, excludeSelf: true, extra: nil), "grid excluding self, k \(k)")
            XCTAssertEqual(try NearestNeighbors.search(gridQueries, in: grid, k: k, extraDistance: extra, strategy: .tree),
                           bruteForce(gridQueries, grid, k: k, excludeSelf: false, extra: extra), "grid with extra distance, k \(k)")
        }
        for width in [1, 3, 10, 17] {
            let points = try Tensor(shape: [1000, width], scalars: (0..<(1000 * width)).map { _ in rng.normal() })
            let queries = try Tensor(shape: [200, width], scalars: (0..<(200 * width)).map { _ in rng.normal() * 1.5 })
            XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: 7, strategy: .tree),
                           try NearestNeighbors.search(queries, in: points, k: 7, strategy: .scan), "width \(width)")
            XCTAssertEqual(try NearestNeighbors.search(points, in: points, k: 3, excludeSelf: true, strategy: .tree),
                           try NearestNeighbors.search(points, in: points, k: 3, excludeSelf: true, strategy: .scan), "width \(width), excluding self")
        }
        let constant = Tensor.zeros([300, 2])
        XCTAssertEqual(try NearestNeighbors.search(constant, in: constant, k: 2, excludeSelf: true, strategy: .tree).first, [1, 2],
                       "identical rows: a single leaf, ties by index")
        XCTAssertThrowsError(try NearestNeighbors.search(constant, in: grid, k: 1))
    }
}
