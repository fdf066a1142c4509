extension Tensor {
    /// The transpose of a matrix.
    /// - Throws: `ShapeError` unless the tensor has rank 2.
    public func transposed() throws -> Tensor {
        guard rank == 2 else { throw ShapeError("transpose", "expected a matrix, got \(describe(shape))") }
        let (m, n) = (shape[0], shape[1])
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: [n, m]) { out in
                let block = 32
                for i0 in stride(from: 0, to: m, by: block) {
                    for j0 in stride(from: 0, to: n, by: block) {
                        for i in i0..<Swift.min(i0 + block, m) {
                            for j in j0..<Swift.min(j0 + block, n) { out[j * m + i] = source[i * n + j] }
                        }
                    }
                }
            }
        }
    }

    /// Stacks matrices with equal column counts, one below the other.
    /// - Throws: `ShapeError` naming the shapes when they are not matrices with equal columns.
    public static func concatRows(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { throw ShapeError("concat", "nothing to concatenate") }
        guard parts.allSatisfy({ $0.rank == 2 && $0.shape[1] == first.shape[1] }) else {
            throw ShapeError("concat", "column counts differ: " + parts.map { describe($0.shape) }.joined(separator: ", "))
        }
        return try Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }, first.shape[1]], scalars: parts.flatMap(\.scalars))
    }

    /// Joins matrices with equal row counts side by side.
    /// - Throws: `ShapeError` naming the shapes when they are not matrices with equal rows.
    public static func concatColumns(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { throw ShapeError("concat", "nothing to concatenate") }
        let rows = first.shape.first ?? 0
        guard parts.allSatisfy({ $0.rank == 2 && $0.shape[0] == rows }) else {
            throw ShapeError("concat", "row counts differ: " + parts.map { describe($0.shape) }.joined(separator: ", "))
        }
        let width = parts.reduce(0) { $0 + $1.shape[1] }
        return Tensor.build(shape: [rows, width]) { out in
            var offset = 0
            for part in parts {
                let w = part.shape[1]
                part.withUnsafeBufferPointer { source in
                    for r in 0..<rows {
                        for j in 0..<w { out[r * width + offset + j] = source[r * w + j] }
                    }
                }
                offset += w
            }
        }
    }

    /// Splits a matrix into consecutive column blocks of the given widths.
    /// - Throws: `ShapeError` when the widths do not add up to the column count.
    public func splitColumns(_ widths: [Int]) throws -> [Tensor] {
        guard rank == 2, widths.allSatisfy({ $0 >= 0 }), widths.reduce(0, +) == shape[1] else {
            throw ShapeError("split", "widths \(widths) do not partition the columns of \(describe(shape))")
        }
        let (rows, width) = (shape[0], shape[1])
        var offset = 0
        return withUnsafeBufferPointer { source in
            widths.map { w in
                defer { offset += w }
                let start = offset
                return Tensor.build(shape: [rows, w]) { out in
                    for r in 0..<rows {
                        for j in 0..<w { out[r * w + j] = source[r * width + start + j] }
                    }
                }
            }
        }
    }

    /// The rows at `indices`, in that order (repeats allowed).
    /// - Throws: `ShapeError` naming the first index out of range.
    public func gatherRows(_ indices: [Int]) throws -> Tensor {
        guard rank >= 1 else { throw ShapeError("gather", "cannot take rows of a scalar") }
        let rows = shape[0]
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            throw ShapeError("gather", "row \(bad) is out of range for \(describe(shape))")
        }
        let width = columns
        var outShape = shape
        outShape[0] = indices.count
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: outShape) { out in
                guard let to = out.baseAddress, let from = source.baseAddress else { return }
                for (r, index) in indices.enumerated() {
                    (to + r * width).update(from: from + index * width, count: width)
                }
            }
        }
    }

    /// Adds each row of `rows` into the row of this matrix named by `indices` (the adjoint of `gatherRows`).
    public mutating func scatterAddRows(_ rows: Tensor, at indices: [Int]) {
        let width = columns
        precondition(rows.count == indices.count * width, "scatter of \(describe(rows.shape)) into \(describe(shape))")
        rows.withUnsafeBufferPointer { source in
            withUnsafeMutableBufferPointer { out in
                for (r, index) in indices.enumerated() {
                    for j in 0..<width { out[index * width + j] += source[r * width + j] }
                }
            }
        }
    }
}
