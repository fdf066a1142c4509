import TensorCore

extension Variable {
    /// Elementwise sum with broadcasting.
    public static func + (lhs: Variable, rhs: Variable) throws -> Variable {
        let result = try lhs.value + rhs.value
        return record(result, parents: [lhs, rhs]) { g in
            lhs.accumulate(g.reduced(to: lhs.shape))
            rhs.accumulate(g.reduced(to: rhs.shape))
        }
    }

    /// Elementwise difference with broadcasting.
    public static func - (lhs: Variable, rhs: Variable) throws -> Variable {
        let result = try lhs.value - rhs.value
        return record(result, parents: [lhs, rhs]) { g in
            lhs.accumulate(g.reduced(to: lhs.shape))
            if rhs.requiresGradient { rhs.accumulate(g.scaled(by: -1).reduced(to: rhs.shape)) }
        }
    }

    /// Elementwise product with broadcasting.
    public static func * (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.value, rhs.value)
        let result = try a * b
        return record(result, parents: [lhs, rhs]) { g in
            if lhs.requiresGradient { lhs.accumulate(g.combined(b, *).reduced(to: a.shape)) }
            if rhs.requiresGradient { rhs.accumulate(g.combined(a, *).reduced(to: b.shape)) }
        }
    }

    /// Elementwise quotient with broadcasting.
    public static func / (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.value, rhs.value)
        let result = try a / b
        return record(result, parents: [lhs, rhs]) { g in
            if lhs.requiresGradient { lhs.accumulate(g.combined(b, /).reduced(to: a.shape)) }
            if rhs.requiresGradient {
                // d(a/b)/db = -(a/b)/b
                rhs.accumulate(g.zipMap(result.combined(b, /)) { -$0 * $1 }.reduced(to: b.shape))
            }
        }
    }

    /// Every element times a constant.
    public func scaled(by factor: Float) -> Variable {
        Variable.record(value.scaled(by: factor), parents: [self]) { [self] g in
            accumulate(g.scaled(by: factor))
        }
    }

    /// Every element plus a constant.
    public func shifted(by offset: Float) -> Variable {
        Variable.record(value.shifted(by: offset), parents: [self]) { [self] g in
            accumulate(g)
        }
    }

    /// The negation.
    public prefix static func - (operand: Variable) -> Variable { operand.scaled(by: -1) }

    /// The matrix product `op(self) * op(other)`.
    /// - Throws: `ShapeError` naming both shapes when the inner dimensions differ.
    public func matmul(_ other: Variable, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Variable {
        let (a, b) = (value, other.value)
        let result = try a.matmul(b, transposeSelf: transposeSelf, transposeOther: transposeOther)
        return Variable.record(result, parents: [self, other]) { [self] g in
            // C = A B: dA = G Bᵀ, dB = Aᵀ G, with the transposes folded in.
            if transposeSelf {
                accumulateProduct(b, g, transposeA: transposeOther, transposeB: true)
            } else {
                accumulateProduct(g, b, transposeA: false, transposeB: !transposeOther)
            }
            if transposeOther {
                other.accumulateProduct(g, a, transposeA: true, transposeB: transposeSelf)
            } else {
                other.accumulateProduct(a, g, transposeA: !transposeSelf, transposeB: false)
            }
        }
    }

    /// An affine map `self * weightᵀ + bias`, fused into one product and one pass.
    /// - Parameters:
    ///   - weight: `[outputs, inputs]` (PyTorch's layout).
    ///   - bias: `[outputs]`.
    /// - Returns: `[batch, outputs]` for `self` of `[batch, inputs]`.
    /// - Throws: `ShapeError` naming the shapes when they do not fit.
    public func linear(weight: Variable, bias: Variable?) throws -> Variable {
        let (x, w) = (value, weight.value)
        let result = try x.affine(weight: w, bias: bias?.value)
        let parents = bias.map { [self, weight, $0] } ?? [self, weight]
        return Variable.record(result, parents: parents) { [self] g in
            if requiresGradient { accumulate((try? g.matmul(w)) ?? g) }
            weight.accumulateProduct(g, x, transposeA: true, transposeB: false)
            if let bias, bias.requiresGradient { bias.accumulate(g.reduced(to: bias.shape)) }
        }
    }
}

extension Tensor {
    /// Sums a gradient down to an operand's shape; the shapes were checked in the forward pass.
    func reduced(to target: [Int]) -> Tensor {
        if shape == target { return self }
        do { return try sum(toShape: target) } catch { preconditionFailure("\(error)") }
    }

    /// Combines with an operand that broadcasts to this gradient's shape (checked in the forward pass).
    func combined(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        if shape == other.shape { return zipMap(other, combine) }
        do { return try broadcasting(other, operation: "gradient", combine) } catch { preconditionFailure("\(error)") }
    }
}
