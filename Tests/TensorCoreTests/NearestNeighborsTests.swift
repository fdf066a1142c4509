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
        let mismatch = NearestNeighbors.CategoryMismatch(queryCodes: (0..<20).map { [Int32($0 % 2), Int32($0 % 3)] },
                                                         pointCodes: (0..<60).map { [Int32($0 % 2), Int32($0 % 4)] }, weight: 0.5)
        let extra: (Int, Int) -> Float = { q, j in mismatch.extra(q, j) }
        for k in [0, 1, 3, 7, 100] {
            XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: k), bruteForce(queries, points, k: k, excludeSelf: false, extra: nil), "k \(k)")
            XCTAssertEqual(try NearestNeighbors.search(points, in: points, k: k, excludeSelf: true),
                           bruteForce(points, points, k: k, excludeSelf: true, extra: nil), "k \(k), excluding self")
            XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: k, mismatch: mismatch),
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
        let mismatch = NearestNeighbors.CategoryMismatch(queryCodes: (0..<40).map { [Int32($0 % 3)] }, pointCodes: (0..<1500).map { [Int32($0 * 7 % 3)] }, weight: 1)
        let extra: (Int, Int) -> Float = { q, j in mismatch.extra(q, j) }
        for k in [1, 5, 40] {
            XCTAssertEqual(try NearestNeighbors.search(gridQueries, in: grid, k: k, strategy: .tree),
                           bruteForce(gridQueries, grid, k: k, excludeSelf: false, extra: nil), "grid, k \(k)")
            let first = try grid.gatherRows(Array(0..<50))
            XCTAssertEqual(try NearestNeighbors.search(first, in: grid, k: k, excludeSelf: true, strategy: .tree),
                           bruteForce(first, grid, k: k, excludeSelf: true, extra: nil), "grid excluding self, k \(k)")
            XCTAssertEqual(try NearestNeighbors.search(gridQueries, in: grid, k: k, mismatch: mismatch, strategy: .tree),
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

    /// Blocked products find exactly the scan's neighbours on wide rows: continuous, tie-heavy
    /// with duplicates, far from the origin (large norms, small differences), with a category
    /// penalty, across query and point blocks, at one and two threads.
    func test_blocked_equalsScan_onWideRows_withTiesLargeNormsAndPenalties() throws {
        var rng = SeededRNG(seed: 12)
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        for width in [17, 64] {
            let rows = 2100, count = 100
            let continuous = try Tensor(shape: [rows, width], scalars: (0..<(rows * width)).map { _ in rng.normal() })
            let grid = try Tensor(shape: [rows, width], scalars: (0..<(rows * width)).map { _ in Float(rng.index(below: 2)) })
            let far = try Tensor(shape: [rows, width], scalars: (0..<(rows * width)).map { _ in 1e4 + 0.01 * rng.normal() })
            for (name, points) in [("continuous", continuous), ("grid", grid), ("far", far)] {
                let queries = try points.gatherRows((0..<count).map { ($0 * 13) % rows })
                let mismatch = NearestNeighbors.CategoryMismatch(queryCodes: (0..<count).map { [Int32($0 % 3), Int32($0 % 2)] },
                                                                 pointCodes: (0..<rows).map { [Int32($0 % 3), Int32($0 / 7 % 2)] }, weight: 0.7)
                for k in [1, 50] {
                    let scan = try NearestNeighbors.search(queries, in: points, k: k, strategy: .scan)
                    for threads in [1, 2] {
                        Parallelism.threads = threads
                        XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: k, strategy: .blocked), scan, "\(name) width \(width) k \(k) threads \(threads)")
                    }
                    let selfPoints = try points.gatherRows(Array(0..<count))
                    XCTAssertEqual(try NearestNeighbors.search(selfPoints, in: points, k: k, excludeSelf: true, strategy: .blocked),
                                   try NearestNeighbors.search(selfPoints, in: points, k: k, excludeSelf: true, strategy: .scan), "\(name) width \(width) k \(k) excluding self")
                    XCTAssertEqual(try NearestNeighbors.search(queries, in: points, k: k, mismatch: mismatch, strategy: .blocked),
                                   try NearestNeighbors.search(queries, in: points, k: k, mismatch: mismatch, strategy: .scan), "\(name) width \(width) k \(k) penalty")
                }
            }
        }
        XCTAssertEqual(try NearestNeighbors.search(Tensor.zeros([3, 20]), in: Tensor.zeros([400, 20]), k: 2).first, [0, 1], "identical rows: ties by index")
    }

    /// The radius test (manifold precision and recall) by blocked products equals the scan's,
    /// with radii at exactly some pairs' distances (the boundary case) and far-from-origin rows.
    func test_coverage_blockedEqualsScan_atTheBoundary() throws {
        var rng = SeededRNG(seed: 13)
        for (width, offset) in [(20, Float(0)), (33, Float(1e4))] {
            let points = try Tensor(shape: [2200, width], scalars: (0..<(2200 * width)).map { _ in offset + rng.normal() })
            let queries = try Tensor(shape: [90, width], scalars: (0..<(90 * width)).map { _ in offset + 1.2 * rng.normal() })
            let lists = try NearestNeighbors.search(points, in: points, k: 3, excludeSelf: true)
            let radii = lists.enumerated().map { r, list in points.squaredDistance(row: r, to: points, row: list[2]) }
            // Radii equal to a query's distance to that point: covered exactly at the boundary.
            var boundary = radii
            for q in 0..<queries.rows { boundary[q * 7] = queries.squaredDistance(row: q, to: points, row: q * 7) }
            for candidate in [radii, boundary] {
                let scan = try NearestNeighbors.covered(queries, by: points, radii: candidate, strategy: .scan)
                XCTAssertEqual(try NearestNeighbors.covered(queries, by: points, radii: candidate, strategy: .blocked), scan, "width \(width)")
                XCTAssertTrue(scan.contains(true) && scan.contains(false) || candidate == boundary, "a test with both answers")
            }
            XCTAssertTrue(try NearestNeighbors.covered(queries, by: points, radii: boundary, strategy: .blocked).allSatisfy { $0 }, "every query at a boundary is covered")
        }
    }
}
