extension Tensor {
    /// The tensor seen as `[outer, axisExtent, inner]` around `axis`.
    @usableFromInline
    func around(axis: Int, operation: String) throws -> (outer: Int, extent: Int, inner: Int) {
        guard axis >= 0, axis < rank else {
            throw ShapeError(operation, "axis \(axis) is out of range for shape \(describe(shape))")
        }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// Shape after reducing `axis`, kept with extent 1.
    @usableFromInline
    func reducedShape(axis: Int) -> [Int] {
        var reduced = shape
        reduced[axis] = 1
        return reduced
    }

    /// Sum of all elements (accumulated in double precision).
    public func sum() -> Float {
        withUnsafeBufferPointer { values in
            var total: Double = 0
            for v in values { total += Double(v) }
            return Float(total)
        }
    }

    /// Mean of all elements; NaN for an empty tensor.
    public func mean() -> Float { sum() / Float(count) }

    /// Largest element; -infinity for an empty tensor.
    public func max() -> Float { scalars.max() ?? -.infinity }

    /// Sums along one axis, keeping it with extent 1.
    /// - Throws: `ShapeError` when the axis is out of range.
    public func sum(axis: Int) throws -> Tensor {
        let (outer, extent, inner) = try around(axis: axis, operation: "sum")
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: reducedShape(axis: axis)) { out in
                out.initialize(repeating: 0)
                for o in 0..<outer {
                    let target = o * inner
                    for k in 0..<extent {
                        let base = (o * extent + k) * inner
                        for i in 0..<inner { out[target + i] += source[base + i] }
                    }
                }
            }
        }
    }

    /// Means along one axis, keeping it with extent 1.
    /// - Throws: `ShapeError` when the axis is out of range.
    public func mean(axis: Int) throws -> Tensor {
        let extent = try around(axis: axis, operation: "mean").extent
        return try sum(axis: axis).scaled(by: 1 / Float(extent))
    }

    /// Maxima along one axis (kept with extent 1) and the flat source index of each.
    /// - Throws: `ShapeError` when the axis is out of range or empty.
    public func maxWithIndices(axis: Int) throws -> (values: Tensor, indices: [Int]) {
        let (outer, extent, inner) = try around(axis: axis, operation: "max")
        guard extent > 0 else { throw ShapeError("max", "axis \(axis) of \(describe(shape)) is empty") }
        var indices = [Int](repeating: 0, count: outer * inner)
        let values = withUnsafeBufferPointer { source in
            Tensor.build(shape: reducedShape(axis: axis)) { out in
                for o in 0..<outer {
                    for i in 0..<inner {
                        var best = o * extent * inner + i
                        for k in 1..<extent {
                            let at = (o * extent + k) * inner + i
                            if source[at] > source[best] { best = at }
                        }
                        out[o * inner + i] = source[best]
                        indices[o * inner + i] = best
                    }
                }
            }
        }
        return (values, indices)
    }

    /// Maxima along one axis, kept with extent 1.
    public func max(axis: Int) throws -> Tensor { try maxWithIndices(axis: axis).values }

    /// Sums this tensor down to `target`, the inverse of broadcasting `target` up to this shape.
    ///
    /// Used by every gradient whose forward pass broadcast an operand.
    /// - Throws: `ShapeError` when `target` does not broadcast to this shape.
    public func sum(toShape target: [Int]) throws -> Tensor {
        if target == shape { return self }
        guard Tensor.broadcastShape(target, shape) == shape else {
            throw ShapeError("sum(toShape:)", "\(describe(shape)) is not a broadcast of \(describe(target))")
        }
        let targetCount = Tensor.count(of: target)
        if targetCount == 1 { return try Tensor(shape: target, scalars: [sum()]) }
        if rank == 2, targetCount == shape[1], target.last == shape[1] {
            return try sum(axis: 0).reshaped(target)
        }
        let strides = Tensor(repeating: 0, shape: target).stridesBroadcast(to: shape)
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: target) { out in
                out.initialize(repeating: 0)
                var index = [Int](repeating: 0, count: rank)
                for flat in 0..<source.count {
                    var at = 0
                    for axis in 0..<rank { at += index[axis] * strides[axis] }
                    out[at] += source[flat]
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < shape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Squared Euclidean distance between row `i` of this matrix and row `j` of `other`
    /// (same column count), as `squaredDistance(_:_:width:)` computes it.
    @inlinable
    public func squaredDistance(row i: Int, to other: Tensor, row j: Int) -> Float {
        let width = columns
        precondition(other.columns == width, "rows of \(describe(shape)) and \(describe(other.shape)) differ in width")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in Tensor.squaredDistance(a.baseAddress! + i * width, b.baseAddress! + j * width, width: width) }
        }
    }

    /// Squared Euclidean distance between two rows of `width` floats: eight running sums
    /// (one per SIMD lane) added in a fixed order, then the tail, so the result is the same
    /// on every CPU. A sum of non-negative terms: never below any one of its terms.
    @inlinable
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, width: Int) -> Float {
        var lanes = SIMD8<Float>()
        var k = 0
        while k + 8 <= width {
            let d = UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self) - UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Float>.self)
            lanes += d * d
            k += 8
        }
        var total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
        while k < width {
            let d = a[k] - b[k]
            total += d * d
            k += 1
        }
        return total
    }
}
