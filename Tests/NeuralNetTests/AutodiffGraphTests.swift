import NeuralNet
import TensorCore
import XCTest

final class AutodiffGraphTests: XCTestCase {
    func test_gradients_accumulateAcrossBackwardCalls_untilCleared() throws {
        let w = Variable(try Tensor(shape: [2], scalars: [1, 2]), requiresGradient: true)
        try (w * w).sum().backward()
        XCTAssertEqual(w.gradient?.scalars, [2, 4])
        try (w * w).sum().backward()
        XCTAssertEqual(w.gradient?.scalars, [4, 8])
        w.gradient = nil
        try w.sum().backward()
        XCTAssertEqual(w.gradient?.scalars, [1, 1])
    }

    func test_sharedSubexpression_receivesBothContributions() throws {
        let x = Variable(Tensor(scalar: 3), requiresGradient: true)
        let y = x.square()
        try (y + y.scaled(by: 2)).backward()  // 3x²: derivative 6x = 18
        XCTAssertEqual(x.gradient?.scalar, 18)
    }

    func test_backward_releasesTheGraph() throws {
        let w = Variable(Tensor(repeating: 1, shape: [2, 2]), requiresGradient: true)
        weak var intermediate: Variable?
        var loss: Variable?
        do {
            let hidden = w.relu()
            intermediate = hidden
            loss = try hidden.matmul(w).sum()
        }
        XCTAssertNotNil(intermediate, "the graph is alive before backward")
        try loss?.backward()
        XCTAssertNil(intermediate, "backward must drop the links that kept intermediate nodes alive")
        XCTAssertNotNil(loss)
    }

    func test_constants_getNoGradient_andDetachStopsFlow() throws {
        let w = Variable(Tensor(scalar: 2), requiresGradient: true)
        let c = Variable(Tensor(scalar: 5))
        try (w * c + w.detached()).backward()
        XCTAssertEqual(w.gradient?.scalar, 5)
        XCTAssertNil(c.gradient)
    }

    func test_backward_ofNonScalar_isAnError() {
        let w = Variable(Tensor.zeros([2, 3]), requiresGradient: true)
        XCTAssertThrowsError(try w.relu().backward()) { XCTAssertTrue("\($0)".contains("[2, 3]")) }
    }

    func test_shapeMismatch_inLayer_namesBothShapes() throws {
        var rng = SeededRNG(seed: 1)
        let layer = Linear(inputs: 3, outputs: 2, using: &rng)
        XCTAssertThrowsError(try layer(Variable(Tensor.zeros([4, 5])))) { error in
            XCTAssertEqual("\(error)", "matmul: inner dimensions differ: [4, 5] x [2, 3]ᵀ")
        }
        XCTAssertThrowsError(try Loss.meanSquaredError(Variable(Tensor.zeros([2, 3])), Variable(Tensor.zeros([3, 2])))) { error in
            XCTAssertTrue("\(error)".contains("[2, 3]") && "\(error)".contains("[3, 2]"), "\(error)")
        }
    }
}

final class FreezingTests: XCTestCase {
    func test_frozenParameters_getNoGradient_butGradientsFlowThroughThem() throws {
        var rng = SeededRNG(seed: 3)
        let first = Linear(inputs: 2, outputs: 3, using: &rng), second = Linear(inputs: 3, outputs: 1, using: &rng)
        let input = Variable(Tensor.normal([4, 2], using: &rng))
        try second.withFrozenParameters {
            try second(try first(input)).sum().backward()
        }
        XCTAssertNil(second.weight.gradient)
        XCTAssertNotNil(first.weight.gradient)
        XCTAssertTrue(second.weight.requiresGradient, "unfrozen afterwards")
    }
}
