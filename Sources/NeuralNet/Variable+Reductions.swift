import TensorCore

extension Variable {
    /// Sum of all elements, as a `[]` scalar.
    public func sum() -> Variable {
        let shape = value.shape
        return Variable.record(Tensor(scalar: value.sum()), parents: [self]) { [self] g in
            accumulate(Tensor(repeating: g.scalar, shape: shape))
        }
    }

    /// Mean of all elements, as a `[]` scalar.
    public func mean() -> Variable { sum().scaled(by: 1 / Float(Swift.max(value.count, 1))) }

    /// Sums along an axis, keeping it with extent 1.
    /// - Throws: `ShapeError` when the axis is out of range.
    public func sum(axis: Int) throws -> Variable {
        let shape = value.shape
        return Variable.record(try value.sum(axis: axis), parents: [self]) { [self] g in
            accumulate(Tensor(repeating: 0, shape: shape).combined(g) { _, g in g })
        }
    }

    /// Means along an axis, keeping it with extent 1.
    /// - Throws: `ShapeError` when the axis is out of range.
    public func mean(axis: Int) throws -> Variable {
        guard axis >= 0, axis < value.rank else {
            throw ShapeError("mean", "axis \(axis) is out of range for shape \(describe(value.shape))")
        }
        return try sum(axis: axis).scaled(by: 1 / Float(Swift.max(value.shape[axis], 1)))
    }

    /// Maxima along an axis (kept with extent 1); the gradient goes to the first maximal element.
    /// - Throws: `ShapeError` when the axis is out of range or empty.
    public func max(axis: Int) throws -> Variable {
        let shape = value.shape
        let (values, indices) = try value.maxWithIndices(axis: axis)
        return Variable.record(values, parents: [self]) { [self] g in
            var spread = Tensor.zeros(shape)
            spread.withUnsafeMutableBufferPointer { out in
                g.withUnsafeBufferPointer { g in
                    for (slot, index) in indices.enumerated() { out[index] += g[slot] }
                }
            }
            accumulate(spread)
        }
    }

    /// Largest element, as a `[]` scalar.
    public func max() throws -> Variable {
        try reshaped([value.count]).max(axis: 0).reshaped([])
    }
}
