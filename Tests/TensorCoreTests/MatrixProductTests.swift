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

    func test_largeProduct_splitOverTwoThreads_matchesSingleThread() throws {
        var rng = SeededRNG(seed: 3)
        let a = Tensor.normal([256, 200], using: &rng), b = Tensor.normal([200, 128], using: &rng)
        Parallelism.threads = 1
        let single = try a.matmul(b)
        let singleT = try b.matmul(a, transposeSelf: true, transposeOther: true)
        Parallelism.threads = 2
        defer { Parallelism.threads = 1 }
        assertClose(try a.matmul(b), single, tolerance: 1e-5)
        assertClose(try b.matmul(a, transposeSelf: true, transposeOther: true), singleT, tolerance: 1e-5)
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
