import NeuralNet
import TensorCore
import XCTest

final class OptimizerTests: XCTestCase {
    func test_adam_firstSteps_matchHandComputedValues() throws {
        // With bias correction the first step moves each weight by lr * sign(g).
        let w = Variable(try Tensor(shape: [2], scalars: [1, -1]), requiresGradient: true)
        var adam = Adam(learningRate: 0.1)
        w.gradient = try Tensor(shape: [2], scalars: [0.5, -2])
        adam.step([("w", w)])
        XCTAssertEqual(w.value.scalars[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(w.value.scalars[1], -0.9, accuracy: 1e-6)
        // Second step with gradient g2: m = 0.9*0.1*g1 + 0.1*g2 ..., computed in double here.
        w.gradient = try Tensor(shape: [2], scalars: [1, 1])
        adam.step([("w", w)])
        for (i, (g1, g2)) in [(0.5, 1.0), (-2.0, 1.0)].enumerated() {
            let m = (0.9 * 0.1 * g1 + 0.1 * g2) / (1 - 0.81)
            let v = (0.999 * 0.001 * g1 * g1 + 0.001 * g2 * g2) / (1 - 0.999 * 0.999)
            let expected = [0.9, -0.9][i] - 0.1 * m / (v.squareRoot() + 1e-8)
            XCTAssertEqual(Double(w.value.scalars[i]), expected, accuracy: 1e-5)
        }
    }

    func test_weightDecay_shrinksWeightsWithoutGradientSignal() {
        let w = Variable(Tensor(repeating: 1, shape: [3]), requiresGradient: true)
        var sgd = SGD(learningRate: 0.1, weightDecay: 0.5)
        w.gradient = Tensor.zeros([3])
        sgd.step([("w", w)])
        XCTAssertEqual(w.value.scalars, [0.95, 0.95, 0.95])
    }

    func test_sgdMomentum_accumulatesVelocity() {
        let w = Variable(Tensor.zeros([1]), requiresGradient: true)
        var sgd = SGD(learningRate: 1, momentum: 0.5)
        for _ in 0..<2 {
            w.gradient = Tensor(repeating: 1, shape: [1])
            sgd.step([("w", w)])
        }
        XCTAssertEqual(w.value.scalars, [-2.5])  // -1, then -(0.5 + 1)
    }

    func test_clipGradientNorm_scalesAllGradientsTogether() throws {
        let a = Variable(Tensor.zeros([1]), requiresGradient: true)
        let b = Variable(Tensor.zeros([1]), requiresGradient: true)
        a.gradient = Tensor(repeating: 3, shape: [1])
        b.gradient = Tensor(repeating: 4, shape: [1])
        let norm = clipGradientNorm([("a", a), ("b", b)], maxNorm: 1)
        XCTAssertEqual(norm, 5)
        XCTAssertEqual(a.gradient!.scalar, 0.6, accuracy: 1e-5)
        XCTAssertEqual(b.gradient!.scalar, 0.8, accuracy: 1e-5)
        XCTAssertEqual(clipGradientNorm([("a", a), ("b", b)], maxNorm: 10), 1, accuracy: 1e-4)
        XCTAssertEqual(a.gradient!.scalar, 0.6, accuracy: 1e-5, "below the bound nothing changes")
    }

    func test_adamOnALargeParameter_givesTheSameResultOnOneAndTwoThreads() {
        var rng = SeededRNG(seed: 8)
        let start = Tensor.normal([300, 701], using: &rng), gradient = Tensor.normal([300, 701], using: &rng)
        func stepped(threads: Int) -> Tensor {
            Parallelism.threads = threads
            defer { Parallelism.threads = 1 }
            let w = Variable(start, requiresGradient: true)
            var adam = Adam(learningRate: 0.01, weightDecay: 0.1)
            for _ in 0..<3 {
                w.gradient = gradient
                adam.step([("w", w)])
            }
            return w.value
        }
        let single = stepped(threads: 1)
        XCTAssertEqual(stepped(threads: 2), single)
        XCTAssertNotEqual(single, start)
    }

    func test_parametersWithoutGradient_areLeftAlone() {
        let w = Variable(Tensor(repeating: 1, shape: [2]), requiresGradient: true)
        var adam = Adam()
        adam.step([("w", w)])
        XCTAssertEqual(w.value.scalars, [1, 1])
    }
}
