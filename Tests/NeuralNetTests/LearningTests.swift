import NeuralNet
import TensorCore
import TestSupport
import XCTest

/// Small end-to-end trainings that a broken gradient, layer or optimizer fails.
final class LearningTests: XCTestCase {
    private func classifier(using rng: inout SeededRNG) -> Sequential {
        Sequential([
            Linear(inputs: 2, outputs: 32, using: &rng), Activation(.relu),
            Linear(inputs: 32, outputs: 32, using: &rng), Activation(.tanh),
            Linear(inputs: 32, outputs: 1, initialization: .xavier, using: &rng),
        ])
    }

    private func accuracy(_ network: Sequential, _ points: Tensor, _ labels: Tensor) throws -> Float {
        network.setTraining(false)
        let logits = try network(Variable(points)).value
        let correct = zip(logits.scalars, labels.scalars).filter { ($0 > 0 ? 1 : 0) == $1 }.count
        return Float(correct) / Float(labels.count)
    }

    private func trainClassifier<O: Optimizer>(_ optimizer: inout O, epochs: Int, seed: UInt64) throws -> Float {
        var rng = SeededRNG(seed: seed)
        let (points, labels) = twoMoons(count: 512, using: &rng)
        let (testPoints, testLabels) = twoMoons(count: 512, using: &rng)
        let network = classifier(using: &rng)
        let parameters = network.namedParameters()
        for _ in 0..<epochs {
            let order = rng.permutation(512)
            for start in stride(from: 0, to: 512, by: 64) {
                let rows = Array(order[start..<start + 64])
                network.clearGradients()
                let loss = try Loss.binaryCrossEntropyWithLogits(
                    try network(Variable(points.gatherRows(rows))), targets: labels.gatherRows(rows))
                try loss.backward()
                optimizer.step(parameters)
            }
        }
        return try accuracy(network, testPoints, testLabels)
    }

    func test_mlpWithAdam_separatesTwoMoons() throws {
        var adam = Adam(learningRate: 1e-2)
        XCTAssertGreaterThanOrEqual(try trainClassifier(&adam, epochs: 60, seed: 1), 0.97)
    }

    func test_mlpWithMomentumSGD_separatesTwoMoons() throws {
        var sgd = SGD(learningRate: 0.1, momentum: 0.9)
        XCTAssertGreaterThanOrEqual(try trainClassifier(&sgd, epochs: 60, seed: 2), 0.97)
    }

    func test_autoencoder_reducesReconstructionLossTenfold_onLowRankData() throws {
        var rng = SeededRNG(seed: 3)
        let data = try lowRankRows(count: 512, width: 20, rank: 3, using: &rng)
        let network = Sequential([
            Linear(inputs: 20, outputs: 32, using: &rng), Activation(.relu),
            Linear(inputs: 32, outputs: 4, initialization: .xavier, using: &rng),
            Linear(inputs: 4, outputs: 32, using: &rng), Activation(.relu),
            Linear(inputs: 32, outputs: 20, initialization: .xavier, using: &rng), Activation(.sigmoid),
        ])
        var adam = Adam(learningRate: 3e-3)
        let parameters = network.namedParameters()
        func loss() throws -> Float { try Loss.meanSquaredError(try network(Variable(data)), Variable(data)).value.scalar }
        let initial = try loss()
        for _ in 0..<150 {
            let order = rng.permutation(512)
            for start in stride(from: 0, to: 512, by: 64) {
                let batch = Variable(try data.gatherRows(Array(order[start..<start + 64])))
                network.clearGradients()
                try Loss.meanSquaredError(try network(batch), batch).backward()
                adam.step(parameters)
            }
        }
        let final = try loss()
        XCTAssertLessThan(final, initial / 10, "initial \(initial), final \(final)")
    }

    func test_dropoutAndBatchNorm_trainAndSwitchToEvaluation() throws {
        var rng = SeededRNG(seed: 4)
        let (points, labels) = twoMoons(count: 512, using: &rng)
        let network = Sequential([
            Linear(inputs: 2, outputs: 64, using: &rng), BatchNorm1d(features: 64), Activation(.relu),
            Dropout(rate: 0.1, rng: rng.derive("dropout")),
            Linear(inputs: 64, outputs: 1, initialization: .xavier, using: &rng),
        ])
        var adam = Adam(learningRate: 1e-2)
        for _ in 0..<80 {
            let order = rng.permutation(512)
            for start in stride(from: 0, to: 512, by: 128) {
                let rows = Array(order[start..<start + 128])
                network.clearGradients()
                try Loss.binaryCrossEntropyWithLogits(try network(Variable(points.gatherRows(rows))),
                                                      targets: labels.gatherRows(rows)).backward()
                adam.step(network.namedParameters())
            }
        }
        XCTAssertGreaterThanOrEqual(try accuracy(network, points, labels), 0.95)
        // Evaluation mode is deterministic: no dropout, running statistics.
        let once = try network(Variable(points)).value, twice = try network(Variable(points)).value
        XCTAssertEqual(once, twice)
    }
}
