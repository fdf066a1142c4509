import TensorCore

extension Variable {
    /// The same elements under another shape.
    /// - Throws: `ShapeError` when the element counts differ.
    public func reshaped(_ shape: [Int]) throws -> Variable {
        let original = value.shape
        return Variable.record(try value.reshaped(shape), parents: [self]) { [self] g in
            accumulate(g.reshapedUnchecked(original))
        }
    }

    /// The transpose of a matrix.
    /// - Throws: `ShapeError` unless the value is a matrix.
    public func transposed() throws -> Variable {
        Variable.record(try value.transposed(), parents: [self]) { [self] g in
            accumulate(g.transposedUnchecked())
        }
    }

    /// Joins matrices with equal row counts side by side.
    /// - Throws: `ShapeError` naming the shapes when the row counts differ.
    public static func concatColumns(_ parts: [Variable]) throws -> Variable {
        let widths = parts.map { $0.value.shape.count == 2 ? $0.value.shape[1] : 0 }
        let result = try Tensor.concatColumns(parts.map(\.value))
        return record(result, parents: parts) { g in
            guard let pieces = try? g.splitColumns(widths) else { preconditionFailure("concat gradient") }
            for (part, piece) in zip(parts, pieces) { part.accumulate(piece) }
        }
    }

    /// Splits a matrix into consecutive column blocks.
    /// - Throws: `ShapeError` when the widths do not add up to the column count.
    public func splitColumns(_ widths: [Int]) throws -> [Variable] {
        let pieces = try value.splitColumns(widths)
        let rows = value.shape[0]
        var offset = 0
        return pieces.map { piece in
            let start = offset
            offset += piece.shape[1]
            return Variable.record(piece, parents: [self]) { [self] g in
                // Place the block's gradient into a full-width zero matrix.
                let total = widths.reduce(0, +)
                var full = Tensor.zeros([rows, total])
                full.withUnsafeMutableBufferPointer { out in
                    g.withUnsafeBufferPointer { g in
                        let w = g.count / Swift.max(rows, 1)
                        for r in 0..<rows {
                            for j in 0..<w { out[r * total + start + j] = g[r * w + j] }
                        }
                    }
                }
                accumulate(full)
            }
        }
    }

    /// The rows at `indices` (repeats allowed); gradients of repeated rows add up.
    /// - Throws: `ShapeError` naming the first index out of range.
    public func gatherRows(_ indices: [Int]) throws -> Variable {
        let shape = value.shape
        return Variable.record(try value.gatherRows(indices), parents: [self]) { [self] g in
            var full = Tensor.zeros(shape)
            full.scatterAddRows(g, at: indices)
            accumulate(full)
        }
    }
}

extension Tensor {
    func reshapedUnchecked(_ shape: [Int]) -> Tensor {
        do { return try reshaped(shape) } catch { preconditionFailure("\(error)") }
    }

    func transposedUnchecked() -> Tensor {
        do { return try transposed() } catch { preconditionFailure("\(error)") }
    }
}
