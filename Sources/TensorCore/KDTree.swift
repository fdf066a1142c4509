/// A k-d tree over the rows of a matrix, for exact nearest-neighbour search on narrow
/// data: each node splits its rows at the median of the axis where they spread most,
/// down to leaves of `leafSize` rows. A search visits the far side of a split only when
/// the query's squared distance to the splitting plane does not exceed the current k-th
/// distance (equality visits, so ties still go to the lower index): the neighbours are
/// exactly a scan's, found in about O(log p) distance computations per query.
struct KDTree {
    /// One node: its rows `start..<end` of `order`; an inner node splits them at `mid`.
    private struct Node {
        var start: Int
        var end: Int
        var axis = -1
        var split: Float = 0
        var left = -1
        var right = -1
        var isLeaf: Bool { axis < 0 }
    }

    static let leafSize = 16

    private let width: Int
    /// The points' rows in tree order (each leaf contiguous) and their original indices.
    private let coordinates: [Float]
    private let order: [Int]
    private let nodes: [Node]

    init(_ points: Tensor) {
        let width = points.columns, rows = points.rows
        let source = points.scalars
        var order = Array(0..<rows)
        var nodes: [Node] = []
        nodes.reserveCapacity(2 * max(rows / Self.leafSize, 1) + 1)
        func build(_ start: Int, _ end: Int) -> Int {
            let id = nodes.count
            nodes.append(Node(start: start, end: end))
            guard end - start > Self.leafSize else { return id }
            var axis = 0, widest: Float = -1
            for c in 0..<width {
                var low = Float.infinity, high = -Float.infinity
                for r in start..<end {
                    let v = source[order[r] * width + c]
                    low = min(low, v)
                    high = max(high, v)
                }
                if high - low > widest { (axis, widest) = (c, high - low) }
            }
            guard widest > 0 else { return id }  // every row the same: a leaf
            // Sorted by (coordinate, index): the same tree for the same points.
            order[start..<end].sort { a, b in
                let (x, y) = (source[a * width + axis], source[b * width + axis])
                return x < y || (x == y && a < b)
            }
            let mid = (start + end) / 2
            nodes[id].axis = axis
            nodes[id].split = source[order[mid] * width + axis]
            let left = build(start, mid)
            let right = build(mid, end)
            nodes[id].left = left
            nodes[id].right = right
            return id
        }
        if rows > 0 { _ = build(0, rows) }
        var coordinates = [Float](repeating: 0, count: rows * width)
        for (position, index) in order.enumerated() {
            for c in 0..<width { coordinates[position * width + c] = source[index * width + c] }
        }
        self.width = width
        self.order = order
        self.coordinates = coordinates
        self.nodes = nodes
    }

    /// Offers `best` every point that can be among the query's nearest, skipping index
    /// `skip`; `extra` adds a non-negative amount to a point's distance.
    func search(_ query: UnsafePointer<Float>, skip: Int, extra: ((Int) -> Float)?, into best: inout NeighbourList) {
        guard !nodes.isEmpty else { return }
        coordinates.withUnsafeBufferPointer { points in
            visit(0, query, points.baseAddress!, skip, extra, &best)
        }
    }

    private func visit(_ id: Int, _ query: UnsafePointer<Float>, _ points: UnsafePointer<Float>, _ skip: Int,
                       _ extra: ((Int) -> Float)?, _ best: inout NeighbourList) {
        let node = nodes[id]
        if node.isLeaf {
            for position in node.start..<node.end where order[position] != skip {
                let index = order[position]
                let distance = Tensor.squaredDistance(query, points + position * width, width: width)
                best.offer(extra.map { distance + $0(index) } ?? distance, index: index)
            }
            return
        }
        // Left rows are at most `split` on the axis, right rows at least.
        let gap = query[node.axis] - node.split
        let (near, far) = gap <= 0 ? (node.left, node.right) : (node.right, node.left)
        visit(near, query, points, skip, extra, &best)
        // A far row's distance is a sum of non-negative terms, one of them at least gap²
        // (float rounding is monotone), so it cannot beat the k-th when gap² exceeds it.
        if gap * gap <= best.bound { visit(far, query, points, skip, extra, &best) }
    }
}
