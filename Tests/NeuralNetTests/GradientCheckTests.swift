import NeuralNet
import TensorCore
import TestSupport
import XCTest

/// Every differentiable primitive against central finite differences, on
/// non-square shapes and with broadcasting.
final class GradientCheckTests: XCTestCase {
    private var rng = SeededRNG(seed: 2024)
    private let tolerance: Float = 2e-2

    private func check(_ name: String, _ shapes: [[Int]], positive: Bool = false, step: Float = 1e-2,
                       line: UInt = #line, _ function: ([Variable]) throws -> Variable) throws {
        let inputs = shapes.map { shape -> Tensor in
            let values = awayFromZero(shape, using: &rng)
            return positive ? values.map { abs($0) + 0.2 } : values
        }
        let result = try checkGradients(inputs, step: step, function)
        XCTAssertLessThan(result.worstError, tolerance, "\(name): \(result)", line: line)
    }

    func test_arithmetic_withBroadcasting() throws {
        for (a, b) in [([3, 4], [3, 4]), ([3, 4], [4]), ([3, 4], [1, 4]), ([3, 4], [3, 1]), ([2, 1], [1, 5]), ([3, 4], [])] {
            try check("add \(a) \(b)", [a, b]) { try $0[0] + $0[1] }
            try check("sub \(a) \(b)", [a, b]) { try $0[0] - $0[1] }
            try check("mul \(a) \(b)", [a, b]) { try $0[0] * $0[1] }
            try check("div \(a) \(b)", [a, b], positive: true, step: 1e-3) { try $0[0] / $0[1] }
        }
        try check("scaled", [[2, 3]]) { $0[0].scaled(by: -1.5) }
        try check("shifted", [[2, 3]]) { $0[0].shifted(by: 2) }
    }

    func test_matrixProducts_withTransposes_andLinear() throws {
        try check("matmul", [[3, 5], [5, 2]]) { try $0[0].matmul($0[1]) }
        try check("matmul Aᵀ", [[5, 3], [5, 2]]) { try $0[0].matmul($0[1], transposeSelf: true) }
        try check("matmul Bᵀ", [[3, 5], [2, 5]]) { try $0[0].matmul($0[1], transposeOther: true) }
        try check("matmul AᵀBᵀ", [[5, 3], [2, 5]]) { try $0[0].matmul($0[1], transposeSelf: true, transposeOther: true) }
        try check("linear", [[4, 3], [2, 3], [2]]) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
        try check("linear without bias", [[4, 3], [2, 3]]) { try $0[0].linear(weight: $0[1], bias: nil) }
    }

    func test_unaryFunctions() throws {
        try check("exp", [[3, 4]]) { $0[0].exp() }
        try check("log", [[3, 4]], positive: true, step: 1e-3) { $0[0].log() }
        try check("tanh", [[3, 4]]) { $0[0].tanh() }
        try check("sigmoid", [[3, 4]]) { $0[0].sigmoid() }
        try check("relu", [[3, 4]]) { $0[0].relu() }
        try check("leakyRelu", [[3, 4]]) { $0[0].leakyRelu(slope: 0.2) }
        try check("softplus", [[3, 4]]) { $0[0].softplus() }
        try check("square", [[3, 4]]) { $0[0].square() }
        try check("sqrt", [[3, 4]], positive: true, step: 1e-3) { $0[0].sqrt() }
        try check("clamp", [[3, 4]]) { $0[0].scaled(by: 2).clamped(min: -0.95, max: 1.05) }
        try check("negate", [[3, 4]]) { -$0[0] }
    }

    func test_reductions() throws {
        try check("sum", [[3, 4]]) { $0[0].sum() }
        try check("mean", [[3, 4]]) { $0[0].mean() }
        try check("sum axis 0", [[3, 4]]) { try $0[0].sum(axis: 0) }
        try check("sum axis 1", [[3, 4]]) { try $0[0].sum(axis: 1) }
        try check("sum axis 1 of rank 3", [[2, 3, 4]]) { try $0[0].sum(axis: 1) }
        try check("mean axis 1", [[3, 4]]) { try $0[0].mean(axis: 1) }
        try check("max axis 0", [[3, 4]]) { try $0[0].max(axis: 0) }
        try check("max axis 1", [[3, 4]]) { try $0[0].max(axis: 1) }
        try check("max", [[3, 4]]) { try $0[0].max() }
    }

    func test_layoutOperations() throws {
        try check("concat", [[3, 2], [3, 4]]) { try Variable.concatColumns($0) }
        try check("split", [[3, 5]]) { variables in
            let parts = try variables[0].splitColumns([2, 3])
            return try parts[0].sum(axis: 1) * parts[1]
        }
        try check("gather with repeats", [[4, 3]]) { try $0[0].gatherRows([3, 0, 3, 1]) }
        try check("transpose", [[3, 5]]) { try $0[0].transposed() }
        try check("reshape", [[3, 4]]) { try $0[0].reshaped([2, 6]) }
    }

    func test_losses() throws {
        try check("mse", [[4, 3], [4, 3]]) { try Loss.meanSquaredError($0[0], $0[1]) }
        let targets = try Tensor(shape: [4, 1], scalars: [1, 0, 1, 0.3])
        try check("bce with logits", [[4, 1]]) { try Loss.binaryCrossEntropyWithLogits($0[0].scaled(by: 3), targets: targets) }
        try check("gaussian nll", [[4, 3], [4, 3], [4, 3]]) {
            try Loss.gaussianNegativeLogLikelihood($0[0], mean: $0[1], logVariance: $0[2])
        }
        try check("gaussian nll shared variance", [[4, 3], [4, 3], [3]]) {
            try Loss.gaussianNegativeLogLikelihood($0[0], mean: $0[1], logVariance: $0[2])
        }
        try check("kl", [[4, 2], [4, 2]]) { try Loss.klDivergenceFromStandardNormal(mean: $0[0], logVariance: $0[1]) }
        try check("logsumexp", [[4, 3]]) { try Loss.logSumExp($0[0].scaled(by: 3), axis: 1) }
    }

    func test_normalizationLayers() throws {
        let batchNorm = BatchNorm1d(features: 3)
        try check("batchnorm", [[5, 3]]) { try batchNorm($0[0]) }
        let layerNorm = LayerNorm(features: 4)
        try check("layernorm", [[3, 4]]) { try layerNorm($0[0]) }
    }
}

final class GradientCheckerTests: XCTestCase {
    /// The checker must notice a wrong gradient: here half of the product rule is cut off.
    func test_checker_detectsAWrongGradient() throws {
        var rng = SeededRNG(seed: 1)
        let result = try checkGradients([awayFromZero([3, 2], using: &rng)]) { try $0[0] * $0[0].detached() }
        XCTAssertGreaterThan(result.worstError, 0.1)
    }
}
