import Foundation
@testable import PipelineEngine
import Reporting
import TensorCore
import TestSupport
import XCTest

/// `evaluate` explains each explainable detector: column importance over the folds, the
/// most anomalous test rows with their reasons, in metrics.json and both reports.
final class EvaluationExplanationTests: XCTestCase {
    private func run(explainRows: Int) throws -> (MetricsDocument, String) {
        let folder = try temporaryDirectory()
        var rng = SeededRNG(seed: 12)
        var lines = ["a,b,c,colour,label"]
        for row in 0..<800 {
            let anomaly = row % 10 == 0
            lines.append("\(rng.normal()),\(rng.normal() + (anomaly ? 5 : 0)),\(rng.normal()),\(["red", "green"][row % 2]),\(anomaly ? 1 : 0)")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        try """
            {"name": "explained", "seed": 2, "matrix": {"prep.params.split.fold": [0, 1]}, "stages": [
             {"id": "raw", "type": "ingest", "params": {"path": "d.csv", "label": {"column": "label"}}},
             {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}, "params": {"split": {"folds": 2}}},
             {"id": "trees", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "xgboost", "trees": 30}},
             {"id": "vae", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "vae", "epochs": 2}},
             {"id": "forest", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "iforest", "trees": 50}},
             {"id": "eval", "type": "evaluate", "inputs": {"detectors": ["trees", "vae", "forest"], "test": "prep.test"},
              "params": {"bootstrap": 20, "explain_rows": \(explainRows)}}]}
            """.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let summary = runQuietly(try PipelineLoader.load(folder.appendingPathComponent("p.json").path), in: folder)
        XCTAssertEqual(summary.status, "succeeded")
        let report = try String(contentsOfFile: try XCTUnwrap(summary.reports.first), encoding: .utf8)
        return (try MetricsDocument.read(try XCTUnwrap(summary.metrics.first)), report)
    }

    func test_explainableDetectors_getImportanceAndReasons_overTheFolds() throws {
        let (metrics, html) = try run(explainRows: 100)
        let explanations = try XCTUnwrap(metrics.explanations)
        XCTAssertEqual(explanations.map(\.detector), ["xgboost", "iforest"], "the vae does not explain its scores")
        let trees = explanations[0]
        XCTAssertEqual(trees.unit, "log-odds of the score")
        XCTAssertEqual(trees.rows, 200, "100 rows in each of 2 folds")
        XCTAssertEqual(Set(trees.importance.map(\.column)), ["a", "b", "c", "colour"], "the one-hot group counts as its column")
        XCTAssertEqual(trees.importance.first?.column, "b", "where the anomalies were planted")
        XCTAssertEqual(trees.topRows.count, 10)
        XCTAssertEqual(Set(trees.topRows.map(\.fold)), ["fold=0"])
        XCTAssertEqual(trees.topRows.map(\.score), trees.topRows.map(\.score).sorted(by: >))
        for row in trees.topRows {
            XCTAssertEqual(row.reasons.count, 3)
            XCTAssertEqual(row.reasons.first?.column, "b", "\(row)")
            XCTAssertNotNil(Double(row.reasons[0].value), "the value in the original units")
        }
        for colour in trees.topRows.flatMap(\.reasons).filter({ $0.column == "colour" }) {
            XCTAssertTrue(["red", "green"].contains(colour.value), "\(colour)")
        }
        // Planted anomalies: 100 normal test rows per fold changed in 1 and in 2 of the 3 numeric
        // columns. The forest isolates any extreme value, so its top columns find them; the trees
        // learned that only b matters, so they find b's alone (about a third of one-column plants).
        let forest = explanations[1]
        XCTAssertEqual(forest.planted.map(\.columnsChanged), [1, 2])
        XCTAssertEqual(forest.planted.map(\.rows), [200, 200])
        XCTAssertGreaterThanOrEqual(forest.planted[0].hitRate, 0.8)
        XCTAssertLessThan(trees.planted[0].hitRate, forest.planted[0].hitRate)
        XCTAssertTrue(html.contains("Explanation hit rate"))
        XCTAssertTrue(html.contains("<h2>Explanations</h2>"))
        XCTAssertTrue(html.contains("none / xgboost"))
        let (quiet, _) = try run(explainRows: 0)
        XCTAssertNil(quiet.explanations, "explain_rows 0 explains nothing")
    }
}
