import Datasets
import Evaluation
import Models
import TensorCore
import TestSupport
import XCTest

/// One-class detectors on data with planted outliers.
final class DetectorTests: XCTestCase {
    /// 500 normal rows around the origin and 12 outliers on a circle of radius 6.
    private func planted(using rng: inout SeededRNG) throws -> (train: Dataset, test: Dataset) {
        let columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))]
        let train = try Dataset(features: Tensor.normal([500, 2], using: &rng), columns: columns, labels: [UInt8](repeating: 0, count: 500))
        var rows = (0..<300).map { _ in [rng.normal(), rng.normal()] }
        for i in 0..<12 {
            let angle = Float(i) * 2 * .pi / 12
            rows.append([6 * cos(angle), 6 * sin(angle)])
        }
        let labels = [UInt8](repeating: 0, count: 300) + [UInt8](repeating: 1, count: 12)
        return (train, try Dataset(features: try Tensor(rows: rows), columns: columns, labels: labels))
    }

    func test_isolationForestAndKNN_rankPlantedOutliersFirst() throws {
        var rng = SeededRNG(seed: 50)
        let (train, test) = try planted(using: &rng)
        let detectors: [any Detector] = [IsolationForest(trees: 100, sampleSize: 128), KNearestNeighbourDetector(k: 5)]
        for detector in detectors {
            try detector.fit(train, using: &rng)
            let auc = try XCTUnwrap(rocAUC(scores: try detector.score(test), labels: test.labels))
            XCTAssertGreaterThan(auc, 0.97, detector.kind)
        }
        // A scorer that ignores the data cannot pass that bound.
        let random = (0..<test.rowCount).map { _ in rng.uniform() }
        XCTAssertLessThan(rocAUC(scores: random, labels: test.labels)!, 0.9)
    }

    func test_isolationForest_normalization_andScoreRange() throws {
        XCTAssertEqual(IsolationForest.averagePathLength(256), 10.2448, accuracy: 1e-3, "c(256) of Liu et al.")
        XCTAssertEqual(IsolationForest.averagePathLength(2), 1)
        XCTAssertEqual(IsolationForest.averagePathLength(1), 0)
        var rng = SeededRNG(seed: 51)
        let (train, test) = try planted(using: &rng)
        let forest = IsolationForest(trees: 50, sampleSize: 64)
        try forest.fit(train, using: &rng)
        let scores = try forest.score(test)
        XCTAssertTrue(scores.allSatisfy { $0 > 0 && $0 < 1 })
        XCTAssertGreaterThan(scores[305], 0.6, "an outlier scores above 0.5")
        var again = SeededRNG(seed: 51)
        let (sameTrain, _) = try planted(using: &again)
        let repeated = IsolationForest(trees: 50, sampleSize: 64)
        try repeated.fit(sameTrain, using: &again)
        XCTAssertEqual(try repeated.score(test), scores, "seeded")
        XCTAssertEqual(errorMessage { try IsolationForest().score(test) }, "iforest: score before fit")
        XCTAssertEqual(errorMessage { try KNearestNeighbourDetector(k: 0).fit(train, using: &rng) }, "knn: k must be at least 1, got 0")
    }
}
