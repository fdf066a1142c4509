import CKernels
import Foundation

/// Exact k-nearest neighbours of wide rows through the matrix product.
///
/// `|a - b|² = |a|² + |b|² - 2 a·b` turns a block of distances into one product (the fixed-
/// order GEMM), a hundred times faster than a scan on wide rows, but rounds differently
/// from `Tensor.squaredDistance`, which decides the neighbours. So the product only bounds
/// each distance: with `u = 2⁻²⁴` and `d` columns, both the product's and the reference's
/// errors are within `margin = 4 (d + 2) u (|a|² + |b|²)`. A point whose lower bound exceeds
/// the k-th smallest upper bound cannot be among the k nearest; every other point is
/// measured exactly with `squaredDistance` and offered. The neighbours are
/// therefore exactly a scan's, ties included (tested against the scan).
enum BlockedNeighbourSearch {
    /// Queries per block (each block is one product with a block of points).
    static let queryBlock = 64
    /// Points per block.
    static let pointBlock = 2048
    /// Pairs pre-filtered against one bound (which tightens between chunks).
    static let filterChunk = 256

    /// Whether the rows can be bounded this way: finite values small enough that no square
    /// or product overflows a float.
    static func applies(_ queries: Tensor, _ points: Tensor) -> Bool {
        func bounded(_ t: Tensor) -> Bool { t.withUnsafeBufferPointer { values in values.allSatisfy { $0.isFinite && abs($0) < 1e15 } } }
        return bounded(queries) && bounded(points)
    }

    static func search(_ queries: Tensor, in points: Tensor, k: Int, excludeSelf: Bool,
                       extra: NearestNeighbors.CategoryMismatch?) -> [[Int]] {
        let width = points.columns, q = queries.rows, p = points.rows
        let unit = Double(Float.ulpOfOne) / 2
        let factor = 4 * Double(width + 2) * unit
        func norms(_ t: Tensor) -> [Double] {
            t.withUnsafeBufferPointer { values in (0..<t.rows).map { r in (0..<width).reduce(0.0) { $0 + Double(values[r * width + $1]) * Double(values[r * width + $1]) } } }
        }
        let queryNorms = norms(queries), pointNorms = norms(points)
        // The pre-filter's bound, with room for the float arithmetic of the filter itself.
        let filterFactor = factor + 64 * unit
        let pointLowerValues = pointNorms.map { Float($0 * (1 - filterFactor)) }
        var result = [[Int]](repeating: [], count: q)
        let blocks = (q + queryBlock - 1) / queryBlock
        let parts = min(Parallelism.threads, blocks)
        pointLowerValues.withUnsafeBufferPointer { pointLowers in
        queries.withUnsafeBufferPointer { queryBuffer in
            points.withUnsafeBufferPointer { pointBuffer in
                result.withUnsafeMutableBufferPointer { out in
                    let output = out  // each block writes its own rows
                    Parallelism.run(parts: parts) { part in
                        var products = [Float](repeating: 0, count: queryBlock * pointBlock)
                        var passing = [Int](repeating: 0, count: filterChunk)
                        for block in stride(from: part, to: blocks, by: parts) {
                            let first = block * queryBlock, count = min(queryBlock, q - first)
                            var bounds = (0..<count).map { _ in UpperBounds(capacity: k) }
                            var candidates = [[(index: Int, lower: Double)]](repeating: [], count: count)
                            for start in stride(from: 0, to: p, by: pointBlock) {
                                let span = min(pointBlock, p - start)
                                products.withUnsafeMutableBufferPointer { g in
                                    MatrixProduct.gemm(m: count, n: span, k: width, a: queryBuffer.baseAddress! + first * width, transposeA: false,
                                                       b: pointBuffer.baseAddress! + start * width, transposeB: true, c: g.baseAddress!, threads: 1)
                                }
                                for i in 0..<count {
                                    let query = first + i
                                    /// The exact bounds of one pair (in double), kept when it may be among the nearest.
                                    func consider(_ point: Int, _ product: Float) {
                                        if excludeSelf, point == query { return }
                                        let approx = queryNorms[query] + pointNorms[point] - 2 * Double(product)
                                        let margin = factor * (queryNorms[query] + pointNorms[point]) + 1e-300
                                        let added = extra.map { Double($0.extra(query, point)) } ?? 0
                                        // The reference adds the category penalty in float: one more rounding.
                                        let slack = margin + 4 * unit * (abs(approx) + margin + added)
                                        let lower = approx - slack + added
                                        guard lower <= bounds[i].bound else { return }
                                        bounds[i].offer(approx + slack + added)
                                        candidates[i].append((point, lower))
                                    }
                                    // A float pre-filter (in C, branch-free), looser than the exact bounds (its own
                                    // rounding is inside `filterFactor`): most pairs stop there. Chunks let the
                                    // bound tighten as candidates arrive.
                                    let queryLower = Float(queryNorms[query] * (1 - filterFactor))
                                    products.withUnsafeBufferPointer { g in
                                        passing.withUnsafeMutableBufferPointer { indices in
                                            let row = g.baseAddress! + i * span, lowers = pointLowers.baseAddress! + start
                                            for chunk in stride(from: 0, to: span, by: filterChunk) {
                                                let length = min(filterChunk, span - chunk)
                                                let bound = Float(bounds[i].bound).nextUp
                                                let found = anomsynth_filter_below(row + chunk, lowers + chunk, queryLower, bound, length, indices.baseAddress!)
                                                for passed in indices.prefix(found) { consider(start + chunk + passed, row[chunk + passed]) }
                                            }
                                        }
                                    }
                                }
                            }
                            for i in 0..<count {
                                let query = first + i, bound = bounds[i].bound
                                var best = NeighbourList(capacity: k)
                                for candidate in candidates[i] where candidate.lower <= bound {
                                    let distance = Tensor.squaredDistance(queryBuffer.baseAddress! + query * width,
                                                                          pointBuffer.baseAddress! + candidate.index * width, width: width)
                                    best.offer(extra.map { distance + $0.extra(query, candidate.index) } ?? distance, index: candidate.index)
                                }
                                output[query] = best.indices
                            }
                        }
                    }
                }
            }
        }
        }
        return result
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
