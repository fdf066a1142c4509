/// Exact k-nearest neighbours by Euclidean distance.
///
/// Every distance is `Tensor.squaredDistance`'s: the same float sum in the same order on
/// every CPU (no BLAS), so the neighbours found do not depend on the machine. Narrow data
/// is searched through a k-d tree (`KDTree`), wide data through blocked matrix products
/// that bound the distances (`BlockedNeighbourSearch`), small or unusual data by scanning
/// every point; all give the same neighbours, ties broken by the lower index.
public enum NearestNeighbors {
    /// How the points are searched: the results are the same, only the time differs.
    public enum Strategy: Sendable, CaseIterable {
        /// A k-d tree when the rows are narrow enough and many enough, blocked products
        /// when they are wide, otherwise a scan.
        case automatic
        /// A k-d tree over the points.
        case tree
        /// Blocked matrix products bounding the distances, then exact distances for the
        /// points that may be among the nearest (a scan where values could overflow).
        case blocked
        /// Every point for every query.
        case scan
    }

    /// A penalty added to a pair's squared distance for each category group in which the
    /// two rows differ (SMOTE-NC's): `Float(differing groups) * weight * weight`.
    public struct CategoryMismatch: Sendable {
        /// `[rows, groups]` category codes of the queries and of the points.
        let queryCodes: [Int32], pointCodes: [Int32]
        let groups: Int
        let weight: Float

        /// - Parameters:
        ///   - queryCodes: per query row, its category in each group.
        ///   - pointCodes: per point row, its category in each group.
        public init(queryCodes: [[Int32]], pointCodes: [[Int32]], weight: Float) {
            groups = queryCodes.first?.count ?? pointCodes.first?.count ?? 0
            self.queryCodes = queryCodes.flatMap { $0 }
            self.pointCodes = pointCodes.flatMap { $0 }
            self.weight = weight
        }

        /// The penalty of the pair (query `i`, point `j`).
        @inline(__always)
        public func extra(_ i: Int, _ j: Int) -> Float {
            var differing = 0
            for g in 0..<groups where queryCodes[i * groups + g] != pointCodes[j * groups + g] { differing += 1 }
            return Float(differing) * weight * weight
        }
    }

    /// The widest rows `automatic` searches by a tree (beyond, most of a tree is visited anyway).
    public static let treeWidthLimit = 16
    /// The fewest points `automatic` builds a tree for.
    public static let treeMinimumPoints = 256

    /// For every row of `queries`, the indices of its `k` nearest rows of `points`
    /// (nearest first, ties by lower index), optionally skipping the identical index
    /// (when queries are the points themselves).
    /// - Parameters:
    ///   - queries: `[q, d]`.
    ///   - points: `[p, d]`.
    ///   - excludeSelf: skip `points[i]` for `queries[i]`.
    ///   - mismatch: a penalty added to the squared distance of a (query, point) pair per differing category.
    /// - Throws: `ShapeError` when the widths differ.
    public static func search(_ queries: Tensor, in points: Tensor, k: Int, excludeSelf: Bool = false,
                              mismatch: CategoryMismatch? = nil, strategy: Strategy = .automatic) throws -> [[Int]] {
        guard queries.rank == 2, points.rank == 2, queries.columns == points.columns else {
            throw ShapeError("nearest neighbours", "queries \(describe(queries.shape)) and points \(describe(points.shape)) must be matrices of the same width")
        }
        let available = points.rows - (excludeSelf ? 1 : 0)
        let neighbours = min(k, max(available, 0))
        guard neighbours > 0 else { return Array(repeating: [], count: queries.rows) }
        let chosen: Strategy = switch strategy {
        case .automatic where points.rows < treeMinimumPoints: .scan
        case .automatic: points.columns <= treeWidthLimit ? .tree : .blocked
        default: strategy
        }
        if chosen == .blocked, BlockedNeighbourSearch.applies(queries, points) {
            return BlockedNeighbourSearch.search(queries, in: points, k: neighbours, excludeSelf: excludeSelf, extra: mismatch)
        }
        let tree = chosen == .tree ? KDTree(points) : nil
        let width = points.columns
        return queries.withUnsafeBufferPointer { queryBuffer in
            points.withUnsafeBufferPointer { pointBuffer in
                (0..<queries.rows).map { q in
                    var best = NeighbourList(capacity: neighbours)
                    let query = queryBuffer.baseAddress! + q * width
                    let skip = excludeSelf ? q : -1
                    let extra = mismatch.map { mismatch in { (j: Int) in mismatch.extra(q, j) } }
                    if let tree {
                        tree.search(query, skip: skip, extra: extra, into: &best)
                    } else {
                        for j in 0..<points.rows where j != skip {
                            let distance = Tensor.squaredDistance(query, pointBuffer.baseAddress! + j * width, width: width)
                            best.offer(extra.map { distance + $0(j) } ?? distance, index: j)
                        }
                    }
                    return best.indices
                }
            }
        }
    }
}

extension NearestNeighbors {
    /// For every row of `queries`, whether some row `j` of `points` lies within `radii[j]`
    /// (a squared distance, as `Tensor.squaredDistance` measures it): the coverage test of
    /// manifold precision and recall. Wide rows go through blocked products, others are
    /// scanned; the answers are the same.
    /// - Throws: `ShapeError` when the widths differ or the radii do not match the points.
    public static func covered(_ queries: Tensor, by points: Tensor, radii: [Float], strategy: Strategy = .automatic) throws -> [Bool] {
        guard queries.rank == 2, points.rank == 2, queries.columns == points.columns, radii.count == points.rows else {
            throw ShapeError("coverage", "queries \(describe(queries.shape)), points \(describe(points.shape)) and \(radii.count) radii do not fit")
        }
        let blocked = strategy == .blocked || (strategy == .automatic && points.columns > treeWidthLimit && points.rows >= treeMinimumPoints)
        if blocked, BlockedNeighbourSearch.applies(queries, points) {
            return BlockedNeighbourSearch.covered(queries, by: points, radii: radii)
        }
        let width = points.columns
        return queries.withUnsafeBufferPointer { q in
            points.withUnsafeBufferPointer { p in
                (0..<queries.rows).map { query in
                    (0..<points.rows).contains { Tensor.squaredDistance(q.baseAddress! + query * width, p.baseAddress! + $0 * width, width: width) <= radii[$0] }
                }
            }
        }
    }
}

/// The k best (distance, index) pairs seen so far, ascending by distance then index.
struct NeighbourList {
    private(set) var distances: [Float] = []
    private(set) var indices: [Int] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        distances.reserveCapacity(capacity + 1)
        indices.reserveCapacity(capacity + 1)
    }

    var isFull: Bool { indices.count == capacity }
    /// The distance a candidate must not exceed to be kept (infinite until full).
    var bound: Float { isFull ? distances[capacity - 1] : .infinity }

    /// Keeps the pair if it is among the k best; a tie keeps the lower index.
    mutating func offer(_ distance: Float, index: Int) {
        func precedes(_ at: Int) -> Bool { distance < distances[at] || (distance == distances[at] && index < indices[at]) }
        if isFull, !precedes(capacity - 1) { return }
        var at = indices.count
        while at > 0, precedes(at - 1) { at -= 1 }
        distances.insert(distance, at: at)
        indices.insert(index, at: at)
        if indices.count > capacity {
            distances.removeLast()
            indices.removeLast()
        }
    }
}
