import Datasets
import Evaluation
import Foundation
@testable import Models
import TensorCore
import TestSupport
import XCTest

/// The `xgboost` detector: XGBoost's C API behind the detector protocol.
final class GradientBoostedTreesTests: XCTestCase {
    private let columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))]

    private func moons(_ count: Int, using rng: inout SeededRNG) throws -> Dataset {
        let (points, labels) = twoMoons(count: count, noise: 0.2, using: &rng)
        return try Dataset(features: points, columns: columns, labels: labels.scalars.map { UInt8($0) })
    }

    func test_separatesTheMoons_andStopsAtTheBestValidationRound() throws {
        var rng = SeededRNG(seed: 70)
        let train = try moons(600, using: &rng), validation = try moons(300, using: &rng), test = try moons(400, using: &rng)
        var config = GradientBoostedTrees.Config()
        config.rounds = 400
        config.eta = 0.3
        config.patience = 10
        let trees = GradientBoostedTrees(config: config)
        let history = try trees.fit(train, validation: validation, using: &rng)
        let auc = try XCTUnwrap(rocAUC(scores: try trees.score(test), labels: test.labels))
        XCTAssertGreaterThan(auc, 0.95, "the moons are separable by axis-aligned splits")
        // Early stopping: the loss stopped improving well before 400 rounds at eta 0.3; the kept
        // round is the best one, `patience` rounds before the last.
        let best = try XCTUnwrap(history.bestEpoch)
        XCTAssertLessThan(history.trainLoss.count, 400)
        XCTAssertEqual(history.validationLoss.count, best + 1 + config.patience)
        XCTAssertEqual(history.validationLoss.min(), history.validationLoss[best])
        XCTAssertEqual(try treeCount(trees), best + 1, "the saved model holds the best round's trees")
        XCTAssertTrue(try trees.score(test).allSatisfy { $0 > 0 && $0 < 1 }, "probabilities")
        // Without validation rows it trains every round.
        config.rounds = 15
        let full = GradientBoostedTrees(config: config)
        XCTAssertEqual(try full.fit(train, using: &rng).trainLoss.count, 15)
        XCTAssertEqual(try treeCount(full), 15)
    }

    func test_seeded_sameBytes_andAStoredModelXGBoostCanRead() throws {
        func trainedFile(seed: UInt64) throws -> Data {
            var rng = SeededRNG(seed: 71)
            let train = try moons(400, using: &rng)
            var config = GradientBoostedTrees.Config()
            config.rounds = 20
            let trees = GradientBoostedTrees(config: config)
            var fitting = SeededRNG(seed: seed)
            let history = try trees.fit(train, using: &fitting)
            let path = try temporaryDirectory().appendingPathComponent("trees.safetensors").path
            try DetectorStore.save(trees, schema: train.schema, history: history, to: path)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let first = try trainedFile(seed: 1)
        XCTAssertEqual(try trainedFile(seed: 1), first, "same seed, same bytes")
        XCTAssertNotEqual(try trainedFile(seed: 2), first, "the seed reaches XGBoost's row and column sampling")
        // The model is XGBoost's own JSON document, under a documented metadata key.
        let path = try temporaryDirectory().appendingPathComponent("t.safetensors").path
        try first.write(to: URL(fileURLWithPath: path))
        let model = try XCTUnwrap(try DetectorStore.load(path).metadata["xgboost_model"])
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(model.utf8)) as? [String: Any])
        XCTAssertNotNil(document["learner"], "XGBoost's JSON model format")
    }

    func test_problems_giveClearErrors() throws {
        var rng = SeededRNG(seed: 72)
        let train = try moons(100, using: &rng)
        let normalOnly = try train.rows((0..<train.rowCount).filter { train.labels[$0] == 0 })
        XCTAssertTrue(errorMessage { try GradientBoostedTrees(config: .init()).fit(normalOnly, using: &rng) }.contains("needs both classes"))
        XCTAssertEqual(errorMessage { try GradientBoostedTrees(config: .init()).score(train) }, "xgboost: score before fit")
        // XGBoost's own failures arrive as errors naming the call and XGBoost's message.
        let broken = errorMessage { _ = try XGBoost.Booster(json: "{not a model", parameters: []) }
        XCTAssertTrue(broken.hasPrefix("XGBoost XGBoosterLoadModelFromBuffer failed: "), broken)
        var config = GradientBoostedTrees.Config()
        config.maxDepth = 0
        XCTAssertTrue(errorMessage { try GradientBoostedTrees(config: config).fit(train, using: &rng) }.contains("max_depth"))
        // The model's metadata entry is the detector's own.
        var trained = GradientBoostedTrees.Config()
        trained.rounds = 2
        let trees = GradientBoostedTrees(config: trained)
        let history = try trees.fit(train, using: &rng)
        let path = try temporaryDirectory().appendingPathComponent("t.safetensors").path
        XCTAssertEqual(errorMessage { try DetectorStore.save(trees, schema: train.schema, history: history, metadata: ["xgboost_model": "{}"], to: path) },
                       "\(path): metadata entry 'xgboost_model' is the xgboost detector's own")
    }

    /// Trees in the detector's model, from XGBoost's JSON.
    private func treeCount(_ trees: GradientBoostedTrees) throws -> Int {
        let json = try XCTUnwrap(try trees.exportMetadata()[GradientBoostedTrees.modelKey])
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let learner = document["learner"] as? [String: Any]
        let booster = learner?["gradient_booster"] as? [String: Any]
        let model = booster?["model"] as? [String: Any]
        return try XCTUnwrap((model?["trees"] as? [Any])?.count)
    }
}
