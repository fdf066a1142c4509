import TensorCore
import XCTest

final class MatrixProductTests: XCTestCase {
    /// Reference product by the definition.
    private func naive(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        var out = Tensor.zeros([m, n])
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k { s += a[i, p] * b[p, j] }
            out[i, j] = s
        } }
        return out
    }

    private func assertClose(_ x: Tensor, _ y: Tensor, tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(x.shape, y.shape, file: file, line: line)
        for (p, q) in zip(x.scalars, y.scalars) where abs(p - q) > tolerance * max(1, abs(q)) {
            XCTFail("\(p) != \(q)", file: file, line: line)
            return
        }
    }

    func test_matmul_withEveryTransposeCombination_matchesDefinition() throws {
        var rng = SeededRNG(seed: 1)
        let a = Tensor.normal([5, 3], using: &rng), b = Tensor.normal([3, 7], using: &rng)
        let expected = naive(a, b)
        let at = try a.transposed(), bt = try b.transposed()
        assertClose(try a.matmul(b), expected)
        assertClose(try at.matmul(b, transposeSelf: true), expected)
        assertClose(try a.matmul(bt, transposeOther: true), expected)
        assertClose(try at.matmul(bt, transposeSelf: true, transposeOther: true), expected)
    }

    func test_addMatmul_accumulatesIntoExistingValues() throws {
        var rng = SeededRNG(seed: 2)
        let a = Tensor.normal([4, 6], using: &rng), b = Tensor.normal([4, 3], using: &rng)
        var accumulator = Tensor(repeating: 1, shape: [6, 3])
        try accumulator.addMatmul(a, b, transposeA: true)
        assertClose(accumulator, naive(try a.transposed(), b).shifted(by: 1))
    }

    func test_largeProduct_splitOverTwoThreads_givesTheSameBits() throws {
        var rng = SeededRNG(seed: 3)
        // Taller than wide (split by rows) and wider than tall (split by columns).
        for (m, k, n) in [(300, 200, 128), (128, 200, 300)] {
            let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([k, n], using: &rng)
            Parallelism.threads = 1
            let single = try a.matmul(b)
            let singleT = try b.matmul(a, transposeSelf: true, transposeOther: true)
            Parallelism.threads = 2
            defer { Parallelism.threads = 1 }
            XCTAssertEqual(try a.matmul(b).scalars, single.scalars)
            XCTAssertEqual(try b.matmul(a, transposeSelf: true, transposeOther: true).scalars, singleT.scalars)
        }
    }

    /// Every element is `fma` chained over the inner index in order: the definition, exactly.
    private func fusedChain(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, start: Tensor?) -> [Float] {
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = transposeB ? b.shape[0] : b.shape[1]
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var c = start?.scalars[i * n + j] ?? 0
            for p in 0..<k {
                let x = transposeA ? a.scalars[p * m + i] : a.scalars[i * k + p]
                let y = transposeB ? b.scalars[j * k + p] : b.scalars[p * n + j]
                c = c.addingProduct(x, y)  // one rounding: fma
            }
            out[i * n + j] = c
        } }
        return out
    }

    /// The reproducibility guarantee of `ProductKernel`: every kernel the CPU can run gives
    /// exactly the definition's bits, for edge tiles, narrow results (computed transposed),
    /// inner dimensions across the packing blocks, every transpose and accumulation.
    func test_everyKernel_givesTheFusedChainsBits() throws {
        let original = ProductKernel.instructionSet
        defer { ProductKernel.use(original) }
        var rng = SeededRNG(seed: 4)
        let shapes = [(1, 1, 1), (7, 300, 13), (33, 513, 70), (100, 5, 9), (64, 1, 200), (17, 260, 2050), (130, 20, 40), (3, 40, 1)]
        let kernels = ProductKernel.InstructionSet.allCases.filter(\.isSupported)
        XCTAssertTrue(kernels.contains(.portable))
        for (m, k, n) in shapes {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = Tensor.normal(transposeA ? [k, m] : [m, k], using: &rng)
                let b = Tensor.normal(transposeB ? [n, k] : [k, n], using: &rng)
                let start = Tensor.normal([m, n], using: &rng)
                let expected = fusedChain(a, b, transposeA: transposeA, transposeB: transposeB, start: nil)
                let expectedSum = fusedChain(a, b, transposeA: transposeA, transposeB: transposeB, start: start)
                for kernel in kernels {
                    XCTAssertTrue(ProductKernel.use(kernel))
                    let label = "\(kernel) [\(m), \(k)] x [\(k), \(n)] transposes \(transposeA) \(transposeB)"
                    XCTAssertEqual(try a.matmul(b, transposeSelf: transposeA, transposeOther: transposeB).scalars, expected, label)
                    var sum = start
                    try sum.addMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
                    XCTAssertEqual(sum.scalars, expectedSum, label)
                }
            }
        }
    }

    func test_matmul_withMismatchedInnerDimensions_namesBothShapes() {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5])
        XCTAssertThrowsError(try a.matmul(b)) { error in
            XCTAssertEqual("\(error)", "matmul: inner dimensions differ: [2, 3] x [4, 5]")
        }
        XCTAssertThrowsError(try Tensor.zeros([3]).matmul(b)) { error in
            XCTAssertTrue("\(error)".contains("[3]"), "\(error)")
        }
    }

    func test_emptyInnerDimension_givesZeros() throws {
        let product = try Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3]))
        XCTAssertEqual(product, Tensor.zeros([2, 3]))
    }
}
