import TensorCore
import XCTest

final class TensorKernelTests: XCTestCase {
    func test_broadcastAdd_ofRowColumnAndScalar_followsNumpyRules() throws {
        let m = try Tensor(rows: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(try (m + Tensor(shape: [3], scalars: [10, 20, 30])).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual(try (m + Tensor(shape: [2, 1], scalars: [100, 200])).scalars, [101, 102, 103, 204, 205, 206])
        XCTAssertEqual(try (m * Tensor(scalar: 2)).scalars, [2, 4, 6, 8, 10, 12])
        XCTAssertEqual(try (Tensor(shape: [2, 1], scalars: [1, 2]) - Tensor(shape: [1, 3], scalars: [1, 2, 3])).scalars,
                       [0, -1, -2, 1, 0, -1])
        XCTAssertEqual(try m.addingRowVector(Tensor(shape: [1, 3], scalars: [1, 1, 1])).scalars, [2, 3, 4, 5, 6, 7])
    }

    func test_broadcast_ofIncompatibleShapes_namesBothShapes() {
        XCTAssertThrowsError(try Tensor.zeros([2, 3]) + Tensor.zeros([2, 4])) { error in
            XCTAssertEqual("\(error)", "add: shapes [2, 3] and [2, 4] do not broadcast")
        }
        XCTAssertThrowsError(try Tensor.zeros([2, 3]).addingRowVector(Tensor.zeros([2]))) { error in
            XCTAssertTrue("\(error)".contains("[2]") && "\(error)".contains("[2, 3]"))
        }
    }

    func test_reductions_alongEachAxis() throws {
        let m = try Tensor(rows: [[1, 5, 3], [4, 2, 6]])
        XCTAssertEqual(try m.sum(axis: 0).scalars, [5, 7, 9])
        XCTAssertEqual(try m.sum(axis: 0).shape, [1, 3])
        XCTAssertEqual(try m.sum(axis: 1).scalars, [9, 12])
        XCTAssertEqual(try m.mean(axis: 1).scalars, [3, 4])
        XCTAssertEqual(try m.max(axis: 0).scalars, [4, 5, 6])
        XCTAssertEqual(try m.max(axis: 1).scalars, [5, 6])
        XCTAssertEqual(m.sum(), 21)
        XCTAssertEqual(m.mean(), 3.5)
        XCTAssertEqual(m.max(), 6)
        XCTAssertThrowsError(try m.sum(axis: 2)) { XCTAssertTrue("\($0)".contains("axis 2")) }
    }

    func test_sumToShape_undoesBroadcasting() throws {
        let m = try Tensor(rows: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(try m.sum(toShape: [3]).scalars, [5, 7, 9])
        XCTAssertEqual(try m.sum(toShape: [2, 1]).scalars, [6, 15])
        XCTAssertEqual(try m.sum(toShape: []).scalars, [21])
        XCTAssertEqual(try m.sum(toShape: [1, 3]).shape, [1, 3])
        XCTAssertThrowsError(try m.sum(toShape: [4]))
    }

    func test_unaryKernels_computeTheirFunctions() throws {
        let x = try Tensor(shape: [4], scalars: [-2, -0.5, 0.5, 2])
        XCTAssertEqual(x.relu().scalars, [0, 0, 0.5, 2])
        XCTAssertEqual(x.leakyRelu(slope: 0.2).scalars, [-0.4, -0.1, 0.5, 2])
        XCTAssertEqual(x.clamped(min: -1, max: 1).scalars, [-1, -0.5, 0.5, 1])
        XCTAssertEqual(x.square().scalars, [4, 0.25, 0.25, 4])
        for (value, input) in zip(x.sigmoid().scalars, x.scalars) { XCTAssertEqual(value, 1 / (1 + exp(-input)), accuracy: 1e-6) }
        for (value, input) in zip(x.softplus().scalars, x.scalars) { XCTAssertEqual(value, log(1 + exp(input)), accuracy: 1e-6) }
        for (value, input) in zip(x.tanh().scalars, x.scalars) { XCTAssertEqual(value, tanh(input), accuracy: 1e-6) }
        XCTAssertEqual(x.square().sqrt().scalars, [2, 0.5, 0.5, 2])
        XCTAssertEqual(x.exp().log().scalars.map { ($0 * 1000).rounded() / 1000 }, x.scalars)
        XCTAssertEqual(Tensor.softplus(100), 100)
        XCTAssertEqual(Tensor.sigmoid(-100), exp(-100), accuracy: 1e-30)
    }

    func test_largeElementwiseLoop_onTwoThreads_matchesOneThread() {
        var rng = SeededRNG(seed: 5)
        let x = Tensor.normal([300_000], using: &rng)
        let single = x.tanh()
        Parallelism.threads = 2
        defer { Parallelism.threads = 1 }
        XCTAssertEqual(x.tanh(), single)
    }

    func test_concatSplitGatherTranspose_roundTrip() throws {
        let a = try Tensor(rows: [[1, 2], [3, 4]]), b = try Tensor(rows: [[5], [6]])
        let joined = try Tensor.concatColumns([a, b])
        XCTAssertEqual(joined.scalars, [1, 2, 5, 3, 4, 6])
        let parts = try joined.splitColumns([2, 1])
        XCTAssertEqual(parts, [a, b])
        XCTAssertEqual(try joined.gatherRows([1, 1, 0]).scalars, [3, 4, 6, 3, 4, 6, 1, 2, 5])
        XCTAssertEqual(try joined.transposed().scalars, [1, 3, 2, 4, 5, 6])
        XCTAssertEqual(try joined.transposed().transposed(), joined)
        XCTAssertThrowsError(try joined.gatherRows([2])) { XCTAssertTrue("\($0)".contains("row 2")) }
        XCTAssertThrowsError(try joined.splitColumns([1, 1])) { XCTAssertTrue("\($0)".contains("[2, 3]")) }
        XCTAssertThrowsError(try Tensor.concatColumns([a, Tensor.zeros([3, 1])])) { XCTAssertTrue("\($0)".contains("[3, 1]")) }
    }

    func test_init_withWrongCount_isAnError() {
        XCTAssertThrowsError(try Tensor(shape: [2, 2], scalars: [1, 2, 3]))
        XCTAssertThrowsError(try Tensor(rows: [[1, 2], [3]])) { XCTAssertTrue("\($0)".contains("row 1")) }
        XCTAssertThrowsError(try Tensor.zeros([2, 3]).reshaped([4]))
    }

    func test_copies_haveValueSemantics() {
        let a = Tensor.zeros([2, 2])
        var b = a
        b[0, 1] = 5
        XCTAssertEqual(a.scalars, [0, 0, 0, 0])
        XCTAssertEqual(b.scalars, [0, 5, 0, 0])
    }
}
