import CKernels

/// Matrix products through AnomSynth's fixed-order GEMM (`ProductKernel`): the only file
/// that calls it.
///
/// Large products are split over `Parallelism.threads` cores by columns of the result (or
/// by rows when it is taller than wide). Every element is computed by one thread in one
/// fixed order, so the split never changes a result.
public enum MatrixProduct {
    /// Multiply-adds below which a product stays on one core.
    public static let parallelGrain = 1 << 22

    /// `c = op(a) * op(b)`, or `c += op(a) * op(b)` when `accumulate`, on raw row-major buffers,
    /// split over at most `threads` cores (1 inside work that is itself split over cores).
    /// Each element of `c` is one chain of fused multiply-adds over the inner index, in order,
    /// starting from 0 or from `c`'s value.
    /// - Parameters:
    ///   - a: `[m, k]`, or `[k, m]` when `transposeA`.
    ///   - b: `[k, n]`, or `[n, k]` when `transposeB`.
    ///   - c: `[m, n]`, read when `accumulate`.
    public static func gemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, transposeA: Bool,
        b: UnsafePointer<Float>, transposeB: Bool,
        c: UnsafeMutablePointer<Float>,
        accumulate: Bool = false,
        threads: Int = Parallelism.threads
    ) {
        guard m > 0, n > 0 else { return }
        _ = ProductKernel.environmentSelection
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        let byColumns = n >= m
        let parts = min(threads, max(m, n) / 64, m * n * k / parallelGrain)
        if parts <= 1 {
            anomsynth_gemm(m, n, k, a, lda, transposeA ? 1 : 0, b, ldb, transposeB ? 1 : 0, c, n, accumulate ? 1 : 0)
            return
        }
        let extent = byColumns ? n : m
        let chunk = (extent + parts - 1) / parts
        Parallelism.run(parts: parts) { part in
            let start = part * chunk
            let count = min(extent, start + chunk) - start
            guard count > 0 else { return }
            if byColumns {
                let bStart = transposeB ? b + start * ldb : b + start
                anomsynth_gemm(m, count, k, a, lda, transposeA ? 1 : 0, bStart, ldb, transposeB ? 1 : 0,
                               c + start, n, accumulate ? 1 : 0)
            } else {
                let aStart = transposeA ? a + start : a + start * lda
                anomsynth_gemm(count, n, k, aStart, lda, transposeA ? 1 : 0, b, ldb, transposeB ? 1 : 0,
                               c + start * n, n, accumulate ? 1 : 0)
            }
        }
    }
}

extension Tensor {
    /// Dimensions of `op(self) * op(other)`, or a `ShapeError` naming both shapes.
    @usableFromInline
    func productDimensions(_ other: Tensor, transposeSelf: Bool, transposeOther: Bool) throws -> (m: Int, n: Int, k: Int) {
        guard rank == 2, other.rank == 2 else {
            throw ShapeError("matmul", "expected matrices, got \(describe(shape)) x \(describe(other.shape))")
        }
        let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        guard k == k2 else {
            let left = describe(shape) + (transposeSelf ? "ᵀ" : "")
            let right = describe(other.shape) + (transposeOther ? "ᵀ" : "")
            throw ShapeError("matmul", "inner dimensions differ: \(left) x \(right)")
        }
        return (m, n, k)
    }

    /// The matrix product `op(self) * op(other)`; transposes are read in place, never copied.
    /// - Parameters:
    ///   - other: `[k, n]` (or `[n, k]` when `transposeOther`).
    ///   - transposeSelf: use `selfᵀ`.
    ///   - transposeOther: use `otherᵀ`.
    /// - Returns: `[m, n]`.
    /// - Throws: `ShapeError` naming both shapes when the inner dimensions differ.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        let (m, n, k) = try productDimensions(other, transposeSelf: transposeSelf, transposeOther: transposeOther)
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor.build(shape: [m, n]) { c in
                    guard let cBase = c.baseAddress else { return }
                    guard let aBase = a.baseAddress, let bBase = b.baseAddress else {
                        c.initialize(repeating: 0)
                        return
                    }
                    MatrixProduct.gemm(m: m, n: n, k: k, a: aBase, transposeA: transposeSelf,
                                       b: bBase, transposeB: transposeOther, c: cBase)
                }
            }
        }
    }

    /// Accumulates `op(a) * op(b)` into this matrix in place (no temporary): each element's
    /// chain of multiply-adds starts from its current value.
    /// - Throws: `ShapeError` when the product's shape is not this matrix's.
    public mutating func addMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws {
        let (m, n, k) = try a.productDimensions(b, transposeSelf: transposeA, transposeOther: transposeB)
        guard shape == [m, n] else {
            throw ShapeError("addMatmul", "product is [\(m), \(n)], accumulator is \(describe(shape))")
        }
        a.withUnsafeBufferPointer { aBuffer in
            b.withUnsafeBufferPointer { bBuffer in
                withUnsafeMutableBufferPointer { c in
                    guard let aBase = aBuffer.baseAddress, let bBase = bBuffer.baseAddress,
                          let cBase = c.baseAddress, k > 0 else { return }
                    MatrixProduct.gemm(m: m, n: n, k: k, a: aBase, transposeA: transposeA,
                                       b: bBase, transposeB: transposeB, c: cBase, accumulate: true)
                }
            }
        }
    }
}

extension Tensor {
    /// The affine map `self * weightᵀ + bias`: the bias is written into every row
    /// first and the product accumulated onto it, so no extra pass is needed.
    /// - Parameters:
    ///   - weight: `[outputs, inputs]`.
    ///   - bias: `[outputs]` (or `[1, outputs]`), optional.
    /// - Returns: `[rows, outputs]`.
    /// - Throws: `ShapeError` naming the shapes when they do not fit.
    public func affine(weight: Tensor, bias: Tensor?) throws -> Tensor {
        let (m, n, k) = try productDimensions(weight, transposeSelf: false, transposeOther: true)
        if let bias, bias.count != n || bias.shape.last != n {
            throw ShapeError("linear", "bias \(describe(bias.shape)) does not fit \(n) outputs of \(describe(weight.shape))")
        }
        return withUnsafeBufferPointer { a in
            weight.withUnsafeBufferPointer { b in
                Tensor.build(shape: [m, n]) { c in
                    guard let cBase = c.baseAddress else { return }
                    if let bias {
                        bias.withUnsafeBufferPointer { row in
                            for r in 0..<m { (cBase + r * n).update(from: row.baseAddress!, count: n) }
                        }
                    } else {
                        c.initialize(repeating: 0)
                    }
                    guard let aBase = a.baseAddress, let bBase = b.baseAddress, k > 0 else { return }
                    MatrixProduct.gemm(m: m, n: n, k: k, a: aBase, transposeA: false, b: bBase, transposeB: true,
                                       c: cBase, accumulate: true)
                }
            }
        }
    }
}
