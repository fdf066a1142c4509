import CBLAS

/// Matrix products through OpenBLAS's `cblas_sgemm`: the only file that runs BLAS routines
/// (`BLASRuntime` reads which kernel OpenBLAS chose).
///
/// OpenBLAS itself always runs single-threaded: on a busy two-core machine its
/// threaded small products can be many times slower. Large products are split
/// here instead, by rows of the result, over `Parallelism.threads` cores; the
/// split depends only on the shapes and the thread count, so results repeat.
public enum MatrixProduct {
    /// Multiply-adds below which a product stays on one core.
    public static let parallelGrain = 1 << 22

    /// Pins OpenBLAS to one thread, once, before the first product.
    private static let openBLASPinned: Void = openblas_set_num_threads(1)

    /// `c = alpha * op(a) * op(b) + beta * c` on raw row-major buffers.
    /// - Parameters:
    ///   - a: `[m, k]`, or `[k, m]` when `transposeA`.
    ///   - b: `[k, n]`, or `[n, k]` when `transposeB`.
    ///   - c: `[m, n]`, read when `beta != 0`.
    public static func gemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, transposeA: Bool,
        b: UnsafePointer<Float>, transposeB: Bool,
        c: UnsafeMutablePointer<Float>,
        alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        _ = openBLASPinned
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        let parts = min(Parallelism.threads, m / 16, m * n * k / parallelGrain)
        if parts <= 1 {
            sgemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                  transposeB: transposeB, c: c, alpha: alpha, beta: beta)
            return
        }
        let chunk = (m + parts - 1) / parts
        Parallelism.run(parts: parts) { part in
            let start = part * chunk
            let rows = min(m, start + chunk) - start
            guard rows > 0 else { return }
            let aStart = transposeA ? a + start : a + start * lda
            sgemm(m: rows, n: n, k: k, a: aStart, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                  transposeB: transposeB, c: c + start * n, alpha: alpha, beta: beta)
        }
    }

    @inline(__always)
    private static func sgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float
    ) {
        if k == 0 {
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
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

    /// The matrix product `op(self) * op(other)`; transposes are passed to BLAS, never copied.
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

    /// Accumulates `alpha * op(a) * op(b)` into this matrix in place (no temporary).
    /// - Throws: `ShapeError` when the product's shape is not this matrix's.
    public mutating func addMatmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1
    ) throws {
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
                                       b: bBase, transposeB: transposeB, c: cBase, alpha: alpha, beta: 1)
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
                                       c: cBase, beta: 1)
                }
            }
        }
    }
}
