import Datasets
import Evaluation
import TensorCore
import Models
import TestSupport
import XCTest

final class QualityMetricsTests: XCTestCase {
    private let columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false)),
                           Column(name: "c=x", kind: .numeric(integer: true), originalName: "c"),
                           Column(name: "c=y", kind: .numeric(integer: true), originalName: "c")]

    private func sample(_ count: Int, shift: Float, category: Int, using rng: inout SeededRNG) throws -> Tensor {
        try Tensor(rows: (0..<count).map { _ in [rng.normal() + shift, rng.normal() + shift, category == 0 ? 1 : 0, category == 0 ? 0 : 1] })
    }

    func test_identicalSets_scoreAsIndistinguishable() throws {
        var rng = SeededRNG(seed: 1)
        let real = try sample(200, shift: 0, category: 0, using: &rng)
        let quality = try QualityMetrics.evaluate(real: real, synthetic: real, columns: columns, classifier: TwoSampleClassifier.logistic, using: &rng)
        XCTAssertEqual(quality.columns.map(\.value), [0, 0, 0])
        XCTAssertEqual(quality.columns.map(\.statistic), ["ks", "ks", "tv"])
        XCTAssertEqual(try XCTUnwrap(quality.mmd), 0, accuracy: 1e-9)
        XCTAssertEqual(quality.distanceToClosestRecord, 0)
        XCTAssertEqual(quality.exactCopyRate, 1)
        XCTAssertEqual(quality.precision, 1)
        XCTAssertEqual(quality.recall, 1)
        XCTAssertEqual(try XCTUnwrap(quality.classifierAUC), 0.5, accuracy: 0.1)
        XCTAssertNil(quality.unavailable)
    }

    func test_disjointSets_scoreAsCompletelyDifferent() throws {
        var rng = SeededRNG(seed: 2)
        let real = try sample(200, shift: 0, category: 0, using: &rng)
        let synthetic = try sample(200, shift: 50, category: 1, using: &rng)
        let quality = try QualityMetrics.evaluate(real: real, synthetic: synthetic, columns: columns, classifier: TwoSampleClassifier.logistic, using: &rng)
        XCTAssertEqual(quality.columns.map(\.value), [1, 1, 1])
        XCTAssertGreaterThan(try XCTUnwrap(quality.mmd), 0.5)
        XCTAssertGreaterThan(try XCTUnwrap(quality.classifierAUC), 0.99)
        XCTAssertEqual(quality.precision, 0)
        XCTAssertEqual(quality.recall, 0)
        XCTAssertEqual(quality.exactCopyRate, 0)
        XCTAssertGreaterThan(try XCTUnwrap(quality.distanceToClosestRecord), 50)
    }

    func test_tooFewRows_giveNullMetricsWithReasons_neverNaN() throws {
        var rng = SeededRNG(seed: 3)
        let real = try sample(40, shift: 0, category: 0, using: &rng)
        let one = try sample(1, shift: 1, category: 1, using: &rng)
        let quality = try QualityMetrics.evaluate(real: real, synthetic: one, columns: columns, classifier: TwoSampleClassifier.logistic, using: &rng)
        XCTAssertNil(quality.classifierAUC)
        XCTAssertNil(quality.mmd)
        XCTAssertNil(quality.precision)
        XCTAssertNotNil(quality.distanceToClosestRecord, "defined for one row")
        XCTAssertEqual(quality.unavailable?["classifier_auc"], "needs at least 2 real and 2 synthetic rows (held-out halves), got 40 real and 1 synthetic rows")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(quality), as: UTF8.self)
        XCTAssertTrue(json.contains(#""classifier_auc":null"#) && json.contains(#""unavailable":{"#), json)
        XCTAssertEqual(try JSONDecoder().decode(SyntheticQuality.self, from: Data(json.utf8)), quality)
    }

    func test_rocAUC_handlesTies_likeScikitLearn() {
        // sklearn.metrics.roc_auc_score([0,0,1,1,0,1,0,1], [0.1,0.4,0.35,0.8,0.4,0.4,0.2,0.9]) = 0.8125 (13 of 16 pairs, ties half).
        XCTAssertEqual(rocAUC(scores: [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9], labels: [0, 0, 1, 1, 0, 1, 0, 1])!, 0.8125, accuracy: 1e-12)
        XCTAssertNil(rocAUC(scores: [0.1, 0.2], labels: [0, 0]))
    }

    func test_kolmogorovSmirnov_onKnownSamples() {
        XCTAssertEqual(QualityMetrics.kolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]), 0.5)
        XCTAssertEqual(QualityMetrics.totalVariation([0, 0, 1, 1], [0, 1, 1, 1], categories: 2), 0.25)
    }
}
