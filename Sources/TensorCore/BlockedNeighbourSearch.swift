import CKernels
import Foundation

/// Exact nearest-neighbour questions about wide rows, answered through the matrix product.
///
/// `|a - b|² = |a|² + |b|² - 2 a·b` turns a block of distances into one product (the fixed-
/// order GEMM), a hundred times faster than a scan on wide rows, but rounds differently
/// from `Tensor.squaredDistance`, which decides the answers. So the product only bounds
/// each distance: with `u = 2⁻²⁴` and `d` columns, both the product's and the reference's
/// errors are within `4 (d + 2) u (|a|² + |b|²)` (`DistanceBounds.slack`). Pairs the bounds
/// settle are settled; the few they do not are measured exactly with `squaredDistance`.
/// The answers are therefore exactly a scan's, ties included (tested against the scan).
enum BlockedNeighbourSearch {
    /// Whether the rows can be bounded this way: finite values small enough that no square
    /// or product overflows a float.
    static func applies(_ queries: Tensor, _ points: Tensor) -> Bool {
        func bounded(_ t: Tensor) -> Bool { t.withUnsafeBufferPointer { values in values.allSatisfy { $0.isFinite && abs($0) < 1e15 } } }
        return bounded(queries) && bounded(points)
    }

    /// The k nearest points of every query (see `NearestNeighbors.search`). A point whose
    /// lower bound exceeds the k-th smallest upper bound cannot be among the k nearest; the
    /// others are measured exactly and offered.
    static func search(_ queries: Tensor, in points: Tensor, k: Int, excludeSelf: Bool,
                       extra: NearestNeighbors.CategoryMismatch?) -> [[Int]] {
        let bounds = DistanceBounds(queries, points)
        var result = [[Int]](repeating: [], count: queries.rows)
        result.withUnsafeMutableBufferPointer { slots in
            let output = slots  // each query block writes its own rows
            bounds.forEachBlock(
                start: { _, count in (bounds: (0..<count).map { _ in UpperBounds(capacity: k) }, candidates: [[(index: Int, lower: Double)]](repeating: [], count: count)) },
                visit: { state, query, i, row, start, span, passing in
                    for chunk in stride(from: 0, to: span, by: DistanceBounds.filterChunk) {
                        let length = min(DistanceBounds.filterChunk, span - chunk)
                        let limit = Float(state.bounds[i].bound).nextUp
                        let found = anomsynth_filter_below(row + chunk, bounds.pointLowers(start + chunk), bounds.queryLower(query), limit, length, passing)
                        for passed in UnsafeBufferPointer(start: passing, count: found) {
                            let point = start + chunk + passed
                            if excludeSelf, point == query { continue }
                            let added = extra.map { Double($0.extra(query, point)) } ?? 0
                            let (approx, slack) = bounds.pair(query, point, row[chunk + passed], added: added)
                            let lower = approx - slack + added
                            guard lower <= state.bounds[i].bound else { continue }
                            state.bounds[i].offer(approx + slack + added)
                            state.candidates[i].append((point, lower))
                        }
                    }
                },
                finish: { state, first, count in
                    for i in 0..<count {
                        let query = first + i, bound = state.bounds[i].bound
                        var best = NeighbourList(capacity: k)
                        for candidate in state.candidates[i] where candidate.lower <= bound {
                            let distance = bounds.exact(query, candidate.index)
                            best.offer(extra.map { distance + $0.extra(query, candidate.index) } ?? distance, index: candidate.index)
                        }
                        output[query] = best.indices
                    }
                })
        }
        return result
    }

    /// Whether each query lies within `radii[j]` (a squared distance as `squaredDistance`
    /// measures it) of some point `j`. A pair whose upper bound is within the radius covers
    /// the query; one whose lower bound is within it is measured exactly.
    static func covered(_ queries: Tensor, by points: Tensor, radii: [Float]) -> [Bool] {
        let bounds = DistanceBounds(queries, points)
        var result = [Bool](repeating: false, count: queries.rows)
        result.withUnsafeMutableBufferPointer { slots in
            let output = slots
            radii.withUnsafeBufferPointer { radii in
                bounds.forEachBlock(
                    start: { _, count in [Bool](repeating: false, count: count) },
                    visit: { covered, query, i, row, start, span, passing in
                        guard !covered[i] else { return }
                        let found = anomsynth_filter_within(row, bounds.pointLowers(start), bounds.queryLower(query), radii.baseAddress! + start, span, passing)
                        for passed in UnsafeBufferPointer(start: passing, count: found) {
                            let point = start + passed
                            let (approx, slack) = bounds.pair(query, point, row[passed], added: 0)
                            if approx + slack <= Double(radii[point]) || bounds.exact(query, point) <= radii[point] {
                                covered[i] = true
                                return
                            }
                        }
                    },
                    finish: { covered, first, count in
                        for i in 0..<count { output[first + i] = covered[i] }
                    })
            }
        }
        return result
    }
}

/// The norms and error margins of one blocked computation, and its block loop.
private final class DistanceBounds {
    /// Queries per block (each block is one product with a block of points).
    static let queryBlock = 64
    /// Points per block.
    static let pointBlock = 2048
    /// Pairs pre-filtered against one bound (which tightens between chunks).
    static let filterChunk = 256

    let queries: Tensor, points: Tensor
    let width: Int
    let queryNorms: [Double], pointNorms: [Double]
    /// `4 (d + 2) u`: the product's and the reference's errors relative to `|a|² + |b|²`.
    let factor: Double
    /// Each point's norm times `1 - filterFactor` (the float pre-filter's share), and the queries'.
    private let pointLowerValues: UnsafeMutableBufferPointer<Float>
    private let queryLowerValues: [Float]
    static let unit = Double(Float.ulpOfOne) / 2

    init(_ queries: Tensor, _ points: Tensor) {
        self.queries = queries
        self.points = points
        width = points.columns
        func norms(_ t: Tensor) -> [Double] {
            t.withUnsafeBufferPointer { values in
                (0..<t.rows).map { r in (0..<t.columns).reduce(0.0) { $0 + Double(values[r * t.columns + $1]) * Double(values[r * t.columns + $1]) } }
            }
        }
        queryNorms = norms(queries)
        pointNorms = norms(points)
        factor = 4 * Double(width + 2) * Self.unit
        // The pre-filter is looser than the exact bounds, with room for its own float arithmetic.
        let filterFactor = factor + 64 * Self.unit
        pointLowerValues = .allocate(capacity: pointNorms.count)
        _ = pointLowerValues.initialize(from: pointNorms.map { Float($0 * (1 - filterFactor)) })
        queryLowerValues = queryNorms.map { Float($0 * (1 - filterFactor)) }
    }

    deinit { pointLowerValues.deallocate() }

    func queryLower(_ query: Int) -> Float { queryLowerValues[query] }

    func pointLowers(_ start: Int) -> UnsafePointer<Float> { UnsafePointer(pointLowerValues.baseAddress! + start) }

    /// The pair's distance from the product, and how far from it the reference can be
    /// (including one more rounding when `added` is added in float).
    func pair(_ query: Int, _ point: Int, _ product: Float, added: Double) -> (approx: Double, slack: Double) {
        let approx = queryNorms[query] + pointNorms[point] - 2 * Double(product)
        let margin = factor * (queryNorms[query] + pointNorms[point]) + 1e-300
        return (approx, margin + 4 * Self.unit * (abs(approx) + margin + added))
    }

    /// The reference squared distance.
    func exact(_ query: Int, _ point: Int) -> Float {
        queries.withUnsafeBufferPointer { q in
            points.withUnsafeBufferPointer { p in Tensor.squaredDistance(q.baseAddress! + query * width, p.baseAddress! + point * width, width: width) }
        }
    }

    /// For every query block (spread over the threads): `start` makes its state, `visit`
    /// sees each of its queries against each block of points (the product row, and a
    /// scratch buffer of `filterChunk` or `pointBlock` indices), `finish` completes it.
    func forEachBlock<State>(start: (_ first: Int, _ count: Int) -> State,
                             visit: (inout State, _ query: Int, _ i: Int, _ row: UnsafePointer<Float>, _ start: Int, _ span: Int, _ scratch: UnsafeMutablePointer<Int>) -> Void,
                             finish: (inout State, _ first: Int, _ count: Int) -> Void) {
        let q = queries.rows, p = points.rows
        let blocks = (q + Self.queryBlock - 1) / Self.queryBlock
        queries.withUnsafeBufferPointer { queryBuffer in
            points.withUnsafeBufferPointer { pointBuffer in
                Parallelism.run(parts: min(Parallelism.threads, blocks)) { part in
                    let parts = min(Parallelism.threads, blocks)
                    var products = [Float](repeating: 0, count: Self.queryBlock * Self.pointBlock)
                    var scratch = [Int](repeating: 0, count: Self.pointBlock)
                    for block in stride(from: part, to: blocks, by: parts) {
                        let first = block * Self.queryBlock, count = min(Self.queryBlock, q - first)
                        var state = start(first, count)
                        for pointStart in stride(from: 0, to: p, by: Self.pointBlock) {
                            let span = min(Self.pointBlock, p - pointStart)
                            products.withUnsafeMutableBufferPointer { g in
                                MatrixProduct.gemm(m: count, n: span, k: width, a: queryBuffer.baseAddress! + first * width, transposeA: false,
                                                   b: pointBuffer.baseAddress! + pointStart * width, transposeB: true, c: g.baseAddress!, threads: 1)
                                scratch.withUnsafeMutableBufferPointer { indices in
                                    for i in 0..<count {
                                        visit(&state, first + i, i, g.baseAddress! + i * span, pointStart, span, indices.baseAddress!)
                                    }
                                }
                            }
                        }
                        finish(&state, first, count)
                    }
                }
            }
        }
    }
}

/// The k smallest upper bounds seen so far (a max-heap): the k-th is the distance no
/// nearer-than-k-th point can exceed.
private struct UpperBounds {
    private var heap: [Double] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    /// The k-th smallest upper bound (infinite until k were offered).
    var bound: Double { heap.count == capacity ? heap[0] : .infinity }

    mutating func offer(_ value: Double) {
        if heap.count < capacity {
            heap.append(value)
            var child = heap.count - 1
            while child > 0, heap[(child - 1) / 2] < heap[child] {
                heap.swapAt(child, (child - 1) / 2)
                child = (child - 1) / 2
            }
        } else if value < heap[0] {
            heap[0] = value
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var largest = parent
                if left < capacity, heap[left] > heap[largest] { largest = left }
                if right < capacity, heap[right] > heap[largest] { largest = right }
                if largest == parent { break }
                heap.swapAt(parent, largest)
                parent = largest
            }
        }
    }
}
